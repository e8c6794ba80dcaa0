"""python -m microbrain_vision: run the vision service until SIGTERM."""

from microbrain_kit.service import main as run

from microbrain_vision.config import VisionSettings
from microbrain_vision.wiring import build


def main() -> None:
    run("vision", VisionSettings, build)


if __name__ == "__main__":
    main()
