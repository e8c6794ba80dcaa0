"""python -m microbrain_cases: run the cases service until SIGTERM."""

from microbrain_kit.service import main as run

from microbrain_cases.config import CasesSettings
from microbrain_cases.wiring import build


def main() -> None:
    run("cases", CasesSettings, build)


if __name__ == "__main__":
    main()
