"""python -m microbrain_dispatch: run the dispatch service until SIGTERM."""

from microbrain_kit.service import main as run

from microbrain_dispatch.app import build
from microbrain_dispatch.config import DispatchSettings


def main() -> None:
    run("dispatch", DispatchSettings, build)


if __name__ == "__main__":
    main()
