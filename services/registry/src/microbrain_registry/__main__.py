"""python -m microbrain_registry: run the registry service until SIGTERM."""

from microbrain_kit.service import main as run

from microbrain_registry.app import build
from microbrain_registry.config import RegistrySettings


def main() -> None:
    run("registry", RegistrySettings, build)


if __name__ == "__main__":
    main()
