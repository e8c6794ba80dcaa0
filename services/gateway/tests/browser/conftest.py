"""Browser tests of the dashboard: Python Playwright driving Debian's chromium against a gateway on a free port.

The gateway here is tests/browser/fake_gateway.py (canned data and a live SSE stream behind the API.md routes,
with the real pages and static files mounted the way microbrain_gateway.app mounts them). Chromium comes from
scripts/install_browser.sh (`make browser`, part of `make test`); without /usr/bin/chromium they fail.
"""

import importlib.util
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path("/tmp/mb-screens")
HERE = Path(__file__).parent


def _load_fake():
    spec = importlib.util.spec_from_file_location("mb_fake_gateway", HERE / "fake_gateway.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    """A running gateway: its base URL, and publish() for a live event."""

    def __init__(self, url: str, fake) -> None:
        self.url, self.fake = url, fake

    def publish(self, event: str, data: dict) -> None:
        httpx.post(self.url + "/__test__/publish", json={"event": event, "data": data}, timeout=5).raise_for_status()


@pytest.fixture(scope="session")
def gateway() -> Iterator[Gateway]:
    fake_module = _load_fake()
    fake = fake_module.FakeGateway()
    port = _free_port()
    config = uvicorn.Config(
        fake_module.build_app(fake), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake gateway did not start")
        time.sleep(0.05)
    yield Gateway(f"http://127.0.0.1:{port}", fake)
    fake.stopping = True
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")  # not longer: sync Playwright keeps an event loop running while it lives
def browser():
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run `make browser` (scripts/install_browser.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shoot(tmp_path):
    """page.screenshot into tmp_path, copied to /tmp/mb-screens/ for a person to look at."""

    def take(page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path))
        try:
            SCREENS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, SCREENS / path.name)
        except OSError:
            pass
        return path

    return take
