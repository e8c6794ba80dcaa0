"""The dashboard in a real browser: sign-in, the town wall, the grid desk (live alarms, case board, SLA clocks),
case detail (assign), language switch, grid isolation, and the registry page. Screenshots go to tmp_path and
/tmp/mb-screens/."""

import re
import time
import uuid
from datetime import UTC, datetime

from playwright.sync_api import expect

GRID = "jinhui-shanghong"
OTHER = "longbai"


def login(page, base: str, username: str, password: str, next_path: str = "") -> None:
    page.goto(base + "/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")


def seconds(text: str) -> int:
    """'04:59' or '1:02:03' (or '-00:12') as seconds."""
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("-").split(":")]
    total = 0
    for p in parts:
        total = total * 60 + p
    return sign * total


def test_root_without_login_goes_to_login(page, gateway):
    page.goto(gateway.url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("#login-submit")).to_have_text("登录")


def test_wrong_password_shows_error(page, gateway):
    login(page, gateway.url, "admin", "nope")
    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#login-error")).to_contain_text("用户名或密码错误")


def test_town_admin_lands_on_town_view(page, gateway, shoot):
    login(page, gateway.url, "admin", "admin-pass")
    expect(page).to_have_url(re.compile(r"/town$"))
    tiles = page.locator(".kpi-grid")
    expect(tiles).to_have_count(2)
    expect(tiles.first).to_contain_text("金汇、上虹区域处置网格")
    expect(page.locator(f'.kpi-grid[data-grid="{GRID}"] .kpi-open')).to_have_text("5")
    expect(page.locator(".sla-item").first).to_be_visible()
    expect(page.locator("#crowd .zone")).to_have_count(2)
    expect(page.locator("#targets .target")).to_have_count(5)
    page.wait_for_function("document.getElementById('trend-img').naturalWidth > 0")
    expect(page.locator("#live")).to_have_class(re.compile(r"\bon\b"))
    # the SLA list is ordered by the nearest deadline
    dues = page.eval_on_selector_all(".sla-item [data-due]", "els => els.map(e => Date.parse(e.dataset.due))")
    assert dues == sorted(dues) and len(dues) >= 5

    # a live alarm lands on the wall's feed and in the grid's tile
    before = int(page.locator(f'.kpi-grid[data-grid="{GRID}"] .kpi-alarms').inner_text())
    gateway.publish("alarm", alarm("客流超过预警 · 爱琴海购物公园 中庭", "crowd_over_threshold"))
    expect(page.locator("#feed .feed-item").first).to_contain_text("爱琴海购物公园 中庭", timeout=5000)
    expect(page.locator(f'.kpi-grid[data-grid="{GRID}"] .kpi-alarms')).to_have_text(str(before + 1))
    # a crowd level change moves the bar
    gateway.publish(
        "crowd",
        {
            "grid_id": GRID,
            "from_level": "CROWD_LEVEL_NORMAL",
            "to_level": "CROWD_LEVEL_WARNING",
            "occupancy": {
                "zone_id": "aegean-atrium",
                "place_id": "aegean-mall",
                "name": "爱琴海购物公园 中庭",
                "estimate": 910,
                "warning": 800,
                "critical": 1200,
                "level": "CROWD_LEVEL_WARNING",
            },
        },
    )
    expect(page.locator('#crowd .zone[data-zone="aegean-atrium"]')).to_contain_text("910", timeout=5000)
    time.sleep(0.8)  # let the bars settle for the picture
    shoot(page, "town-1920x1080")
    page.set_viewport_size({"width": 1366, "height": 768})
    time.sleep(0.5)
    shoot(page, "town-1366x768")
    # nothing spills out of the screen at laptop size
    overflow = page.evaluate("document.documentElement.scrollHeight - window.innerHeight")
    assert overflow <= 0


def alarm(title: str, alarm_type: str = "ebike_in_elevator", grid: str = GRID) -> dict:
    aid = "a-" + uuid.uuid4().hex[:8]
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "grid_id": grid,
        "alarm": {
            "meta": {"event_id": aid, "grid_id": grid, "occurred_at": now, "producer": "vision"},
            "type": alarm_type,
            "severity": "SEVERITY_CRITICAL",
            "source": "vision",
            "place_id": "gengduyuan-22",
            "title": title,
            "location": {"lat": 31.1872, "lon": 121.3951},
            "evidence": [{"key": "snapshots/2026/11/26/c-20261126-a1.svg", "content_type": "image/svg+xml"}],
        },
    }


def test_grid_operator_sees_live_alarm_and_moving_unit(page, gateway, shoot):
    login(page, gateway.url, "op-jinhui", "op-pass")
    expect(page).to_have_url(re.compile(rf"/grids/{GRID}$"))
    expect(page.locator("#grid-name")).to_have_text("金汇、上虹区域处置网格")
    expect(page.locator('.col[data-state="CASE_STATE_OPENED"] .case-card')).to_have_count(2)
    expect(page.locator("#live")).to_have_class(re.compile(r"\bon\b"))
    title = "电动车进入电梯 · 耕读园 22 号 B 梯 " + uuid.uuid4().hex[:4]
    gateway.publish("alarm", alarm(title))
    card = page.locator("#alarm-feed .alarm-card").first
    expect(card).to_contain_text(title, timeout=5000)
    page.wait_for_function("document.querySelector('#alarm-feed .alarm-card img.snap')?.naturalWidth > 0")
    # a unit's radio GPS moves its dot on the map
    dot = page.locator('svg [data-unit="unit-02"]')
    first = dot.get_attribute("style")
    gateway.publish(
        "unit",
        {
            "grid_id": GRID,
            "unit_id": "unit-02",
            "device_id": "radio-unit-02",
            "position": {"lat": 31.1862, "lon": 121.3940},
            "at": datetime.now(UTC).isoformat(),
        },
    )
    expect(dot).not_to_have_attribute("style", first or "", timeout=5000)
    # a case event from elsewhere (another desk assigns) moves the card to its column
    # one-click call rings the available units
    page.locator('.case-card[data-case="c-20261126-b2"] [data-call]').click()
    expect(page.locator("#toast")).to_contain_text("unit-01")
    time.sleep(1.3)
    shoot(page, "grid-1920x1080")


def test_sla_countdown_decreases(page, gateway):
    login(page, gateway.url, "op-jinhui", "op-pass")
    clock = page.locator('.case-card[data-case="c-20261126-b2"] .countdown')
    expect(clock).to_have_text(re.compile(r"^\d{2}:\d{2}$"))
    first = seconds(clock.inner_text())
    time.sleep(2.2)
    second = seconds(clock.inner_text())
    assert 1 <= first - second <= 4, (first, second)


def test_open_case_and_assign_to_unit(page, gateway, shoot):
    login(page, gateway.url, "op-jinhui", "op-pass")
    page.locator('.case-card[data-case="c-20261126-a1"] a.title').click()
    expect(page).to_have_url(re.compile(rf"/grids/{GRID}/cases/c-20261126-a1$"))
    expect(page.locator("#case-state")).to_have_text("待派遣")
    expect(page.locator("#timeline li")).to_have_count(1)
    page.wait_for_function("document.querySelector('#evidence img')?.naturalWidth > 0")
    page.select_option("#assign-unit", "unit-02")
    page.click("#assign-submit")
    expect(page.locator("#case-state")).to_have_text("已派遣")
    expect(page.locator("#case-assignee")).to_have_text("unit-02")
    expect(page.locator("#timeline li").first).to_contain_text("派遣")
    expect(page.locator("#timeline li").first).to_contain_text("op-jinhui")
    expect(page.locator("#next-states [data-to]")).to_have_text("接单")
    time.sleep(0.5)
    shoot(page, "case-1920x1080")
    # back on the board the card sits in the assigned column
    page.click("text=返回看板")
    expect(page.locator('.col[data-state="CASE_STATE_ASSIGNED"] .case-card[data-case="c-20261126-a1"]')).to_be_visible()


def test_language_switch(page, gateway):
    login(page, gateway.url, "op-jinhui", "op-pass")
    expect(page.locator("#nav-town")).to_have_text("一屏观全镇")
    expect(page.locator('.col[data-state="CASE_STATE_OPENED"] .col-head')).to_contain_text("待派遣")
    page.click("#lang-en")
    expect(page.locator("#nav-town")).to_have_text("Town view")
    expect(page.locator('.col[data-state="CASE_STATE_OPENED"] .col-head')).to_contain_text("Opened")
    expect(page.locator(".a-board h2")).to_have_text("Case board")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()  # remembered
    expect(page.locator(".a-board h2")).to_have_text("Case board")
    page.click("#lang-zh")
    expect(page.locator(".a-board h2")).to_have_text("案件看板")
    expect(page.locator('.col[data-state="CASE_STATE_OPENED"] .col-head')).to_contain_text("待派遣")


def test_grid_operator_cannot_open_another_grid(page, gateway, shoot):
    login(page, gateway.url, "op-jinhui", "op-pass", next_path=f"/grids/{OTHER}")
    expect(page).to_have_url(re.compile(rf"/grids/{OTHER}$"))
    expect(page.locator("#forbidden")).to_be_visible()
    expect(page.locator("#forbidden h1")).to_have_text("无权访问该网格")
    assert page.locator(".case-card").count() == 0
    assert "龙柏机密案件" not in page.content()
    # nor a case of it by its URL
    page.goto(gateway.url + f"/grids/{OTHER}/cases/c-20261126-l1")
    expect(page.locator("#forbidden")).to_be_visible()
    assert "龙柏机密案件" not in page.content()
    shoot(page, "forbidden")


def test_registry_page(page, gateway, shoot):
    login(page, gateway.url, "admin", "admin-pass")
    expect(page).to_have_url(re.compile(r"/town$"))
    page.click("#nav-registry")
    expect(page.locator(".project")).to_have_count(6)
    expect(page.locator('.project[data-project="lp-2026-lifts"]')).to_contain_text("落后于计划")
    expect(page.locator('.project[data-project="lp-2026-talent"]')).to_contain_text("已达标")
    expect(page.locator("#gaps li")).to_have_count(2)
    expect(page.locator("#circle-map [data-station]")).to_have_count(3)
    shoot(page, "registry-1920x1080")
