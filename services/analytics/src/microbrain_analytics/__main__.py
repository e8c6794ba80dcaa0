"""python -m microbrain_analytics: run the analytics service until SIGTERM."""

from microbrain_kit.service import main as run

from microbrain_analytics.app import build
from microbrain_analytics.config import AnalyticsSettings


def main() -> None:
    run("analytics", AnalyticsSettings, build)


if __name__ == "__main__":
    main()
