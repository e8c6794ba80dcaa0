"""python -m microbrain_ingest: run the ingest service until SIGTERM."""

from microbrain_kit.service import main as run

from microbrain_ingest.config import IngestSettings
from microbrain_ingest.wiring import build


def main() -> None:
    run("ingest", IngestSettings, build)


if __name__ == "__main__":
    main()
