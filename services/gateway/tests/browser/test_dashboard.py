"""The dashboard in a real browser against the real gateway and services (see conftest.py): sign-in, the town
wall, the grid desk (live alarms, case board, SLA clocks, units on the map), case detail (assign), language switch,
grid isolation, and the registry page. Screenshots go to tmp_path and /tmp/mb-screens/."""

import re
import time
import uuid

from playwright.sync_api import expect

GRID = "jinhui-shanghong"
OTHER = "longbai"
ADMIN, OPERATOR = ("admin", "admin-pass"), ("op-jinhui", "op-jinhui-pass")


def login(page, base: str, user: tuple[str, str], next_path: str = "") -> None:
    page.goto(base + "/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("#username", user[0])
    page.fill("#password", user[1])
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
    login(page, gateway.url, ("admin", "not-the-password"))
    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#login-error")).to_contain_text("用户名或密码错误")
    expect(page).to_have_url(re.compile(r"/login"))


def open_cases(gateway, grid: str) -> int:
    states = {"CASE_STATE_OPENED", "CASE_STATE_REOPENED", "CASE_STATE_ASSIGNED", "CASE_STATE_ACKNOWLEDGED"}
    states.add("CASE_STATE_ON_SITE")
    return sum(1 for c in gateway.list_cases(grid) if c["state"] in states)


def test_town_admin_lands_on_town_view(page, gateway, shoot):
    login(page, gateway.url, ADMIN)
    expect(page).to_have_url(re.compile(r"/town$"))
    tiles = page.locator(".kpi-grid")
    expect(tiles).to_have_count(2)
    expect(tiles.first).to_contain_text("金汇、上虹区域处置网格")
    expect(page.locator(f'.kpi-grid[data-grid="{GRID}"] .kpi-open')).to_have_text(str(open_cases(gateway, GRID)))
    expect(page.locator(f'.kpi-grid[data-grid="{OTHER}"] .kpi-open')).to_have_text(str(open_cases(gateway, OTHER)))
    expect(page.locator(".sla-item").first).to_be_visible()
    expect(page.locator("#crowd .zone")).to_have_count(2)  # the scenario's crowd zones, from analytics
    expect(page.locator("#targets .target")).to_have_count(5)  # deploy/registry/targets.csv
    page.wait_for_function("document.getElementById('trend-img').naturalWidth > 0")
    expect(page.locator("#live")).to_have_class(re.compile(r"\bon\b"))
    # the SLA list is ordered by the nearest deadline
    dues = page.eval_on_selector_all(".sla-item [data-due]", "els => els.map(e => Date.parse(e.dataset.due))")
    assert dues == sorted(dues) and len(dues) >= 3

    # a live alarm lands on the wall's feed and in the grid's tile; its case joins the open cases
    before = int(page.locator(f'.kpi-grid[data-grid="{GRID}"] .kpi-alarms').inner_text())
    opened = int(page.locator(f'.kpi-grid[data-grid="{GRID}"] .kpi-open').inner_text())
    alarm = gateway.alarm(
        GRID,
        "crowd_over_threshold",
        "aegean-mall",
        "客流超过预警 · 爱琴海购物公园 中庭",
        "cam-aegean-atrium",
        "SEVERITY_WARNING",
    )
    gateway.publish("alarm", alarm)
    expect(page.locator("#feed .feed-item").first).to_contain_text("爱琴海购物公园 中庭", timeout=5000)
    expect(page.locator(f'.kpi-grid[data-grid="{GRID}"] .kpi-alarms')).to_have_text(str(before + 1))
    expect(page.locator(f'.kpi-grid[data-grid="{GRID}"] .kpi-open')).to_have_text(str(opened + 1), timeout=5000)
    # a crowd level change (analytics' event) moves the bar
    gateway.publish(
        "crowd",
        {
            "grid_id": GRID,
            "from_level": "CROWD_LEVEL_NORMAL",
            "to_level": "CROWD_LEVEL_WARNING",
            "occupancy": {
                "zone_id": "aegean-atrium",
                "place_id": "aegean-mall",
                "name": "爱琴海购物公园",
                "estimate": 910,
                "warning": 800,
                "critical": 1200,
                "level": "CROWD_LEVEL_WARNING",
                "sources": "camera+wifi",
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


def test_grid_operator_sees_live_alarm_and_moving_unit(page, gateway, shoot):
    login(page, gateway.url, OPERATOR)
    expect(page).to_have_url(re.compile(rf"/grids/{GRID}$"))
    expect(page.locator("#grid-name")).to_have_text("金汇、上虹区域处置网格")
    # the morning's cases: dispatch rang a unit for each as it opened
    ebike = gateway.seeded["ebike"]
    expect(page.locator(f'.col[data-state="CASE_STATE_ASSIGNED"] .case-card[data-case="{ebike}"]')).to_be_visible()
    expect(page.locator(".case-card")).to_have_count(open_cases(gateway, GRID))
    expect(page.locator("#live")).to_have_class(re.compile(r"\bon\b"))
    # a camera's alarm (published after the page is open) shows in the feed within seconds ...
    title = "非投放时段投放 · 耕读园小区 垃圾厢房 1 · " + uuid.uuid4().hex[:4]
    alarm_id = gateway.publish(
        "alarm",
        gateway.alarm(GRID, "litter_off_hours", "gengduyuan-refuse-1", title, "cam-gdy-refuse-1", "SEVERITY_WARNING"),
    )
    card = page.locator("#alarm-feed .alarm-card").first
    expect(card).to_contain_text(title, timeout=5000)
    # ... and the case cases opened for it lands on the board
    case_id = gateway.case_of_alarm(GRID, alarm_id)["case_id"]
    board_card = page.locator(f'.case-card[data-case="{case_id}"]')
    expect(board_card).to_be_visible(timeout=5000)
    expect(board_card).to_contain_text(title)
    # a unit's radio GPS fix (through ingest) moves its dot on the map
    dot = page.locator('svg [data-unit="unit-02"]')
    expect(dot).to_be_visible()
    first = dot.get_attribute("style")
    gateway.publish("unit", {"grid_id": GRID, "unit_id": "unit-02", "position": {"lat": 31.1850, "lon": 121.3930}})
    expect(dot).not_to_have_attribute("style", first or "", timeout=5000)
    # one-click call rings the units near the case
    page.locator(f'.case-card[data-case="{ebike}"] [data-call]').click()
    expect(page.locator("#toast")).to_contain_text(re.compile(r"已呼叫 .*unit-0\d"))
    time.sleep(1.3)
    shoot(page, "grid-1920x1080")
    # open the new case from its card
    board_card.locator("a.title").click()
    expect(page).to_have_url(re.compile(rf"/grids/{GRID}/cases/{case_id}$"))
    expect(page.locator("#case-head h1")).to_have_text(re.sub(r"\s+", " ", title))


def test_sla_countdown_decreases(page, gateway):
    login(page, gateway.url, OPERATOR)
    clock = page.locator(f'.case-card[data-case="{gateway.seeded["ebike"]}"] .countdown')
    expect(clock).to_have_text(re.compile(r"^-?(\d+:)?\d{2}:\d{2}$"))
    first = seconds(clock.inner_text())
    time.sleep(2.2)
    second = seconds(clock.inner_text())
    assert 1 <= first - second <= 4, (first, second)


def test_open_case_and_assign_to_unit(page, gateway, shoot):
    case_id = gateway.seeded["ebike"]
    rung = gateway.get_case(GRID, case_id)["assignee"]  # the unit dispatch rang when the case opened
    other = next(u for u in ("unit-03", "unit-02", "unit-01") if u != rung)
    login(page, gateway.url, OPERATOR)
    page.locator(f'.case-card[data-case="{case_id}"] a.title').click()
    expect(page).to_have_url(re.compile(rf"/grids/{GRID}/cases/{case_id}$"))
    expect(page.locator("#case-head h1")).to_have_text("电动车进入电梯 · 耕读园 22 号 A 梯")
    expect(page.locator("#case-state")).to_have_text("已派遣")
    expect(page.locator("#case-assignee")).to_have_text(rung)
    expect(page.locator("#timeline li")).not_to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("立案")
    expect(page.locator("#dispatch")).to_contain_text(rung)
    # the desk gives it to another unit
    page.select_option("#assign-unit", other)
    page.click("#assign-submit")
    expect(page.locator("#case-assignee")).to_have_text(other)
    expect(page.locator("#case-state")).to_have_text("已派遣")
    expect(page.locator("#timeline li").first).to_contain_text("派遣")
    expect(page.locator("#timeline li").first).to_contain_text("op-jinhui")
    expect(page.locator("#next-states [data-to]")).to_have_text("接单")
    assert gateway.get_case(GRID, case_id)["assignee"] == other
    time.sleep(0.5)
    shoot(page, "case-1920x1080")
    # back on the board the card sits in the assigned column
    page.click("#case-head a")
    expect(page.locator(f'.col[data-state="CASE_STATE_ASSIGNED"] .case-card[data-case="{case_id}"]')).to_be_visible()


def test_evidence_snapshots_show(page, gateway):
    """The camera's snapshot (in the evidence store, referenced by the alarm and the case) shows in the grid's
    feed and on the case page."""
    case_id = gateway.seeded["ebike"]
    login(page, gateway.url, OPERATOR)
    feed_card = page.locator("#alarm-feed .alarm-card", has_text="耕读园 22 号 A 梯")
    expect(feed_card).to_be_visible()
    page.wait_for_function(
        "[...document.querySelectorAll('#alarm-feed .alarm-card')].some("
        "c => c.textContent.includes('耕读园 22 号 A 梯') && c.querySelector('img.snap')?.naturalWidth > 0)",
        timeout=5000,
    )
    page.goto(gateway.url + f"/grids/{GRID}/cases/{case_id}")
    page.wait_for_function("document.querySelector('#evidence img')?.naturalWidth > 0", timeout=5000)


def test_language_switch(page, gateway):
    login(page, gateway.url, OPERATOR)
    expect(page.locator("#nav-town")).to_have_text("一屏观全镇")
    expect(page.locator('.col[data-state="CASE_STATE_ASSIGNED"] .col-head')).to_contain_text("已派遣")
    page.click("#lang-en")
    expect(page.locator("#nav-town")).to_have_text("Town view")
    expect(page.locator('.col[data-state="CASE_STATE_ASSIGNED"] .col-head')).to_contain_text("Assigned")
    expect(page.locator(".a-board h2")).to_have_text("Case board")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()  # remembered
    expect(page.locator(".a-board h2")).to_have_text("Case board")
    page.click("#lang-zh")
    expect(page.locator(".a-board h2")).to_have_text("案件看板")
    expect(page.locator('.col[data-state="CASE_STATE_ASSIGNED"] .col-head')).to_contain_text("已派遣")


def test_grid_operator_cannot_open_another_grid(page, gateway, shoot):
    secret = gateway.seeded["secret"]  # grid B's case, "龙柏机密案件 · 楼道堆物"
    login(page, gateway.url, OPERATOR, next_path=f"/grids/{OTHER}")
    expect(page).to_have_url(re.compile(rf"/grids/{OTHER}$"))
    expect(page.locator("#forbidden")).to_be_visible()
    expect(page.locator("#forbidden h1")).to_have_text("无权访问该网格")
    assert page.locator(".case-card").count() == 0
    assert "龙柏机密案件" not in page.content() and secret not in page.content()
    # nor a case of it by its URL
    page.goto(gateway.url + f"/grids/{OTHER}/cases/{secret}")
    expect(page.locator("#forbidden")).to_be_visible()
    assert "龙柏机密案件" not in page.content()
    shoot(page, "forbidden")


def test_registry_page(page, gateway, shoot):
    login(page, gateway.url, ADMIN)
    expect(page).to_have_url(re.compile(r"/town$"))
    page.click("#nav-registry")
    projects = page.locator(".project")
    expect(projects).to_have_count(6)  # the six 民心工程 of deploy/registry/projects.csv
    expect(projects.first).not_to_contain_text("lp-2026-")  # each shown by its name
    expect(page.locator('.project[data-project="lp-2026-lifts"]')).to_contain_text("加装电梯")
    expect(page.locator('.project[data-project="lp-2026-meals"]')).to_contain_text("落后于计划")
    expect(page.locator('.project[data-project="lp-2026-shanghong-school"]')).to_contain_text("已达标")
    expect(page.locator("#targets .target")).to_have_count(5)
    circle = gateway.api(ADMIN, "/api/v1/registry/circle")
    expect(page.locator("#gaps li")).to_have_count(len(circle.get("gaps", [])))
    expect(page.locator("#covered li")).to_have_count(len(circle.get("covered", [])))
    stations = gateway.api(ADMIN, "/api/v1/registry/stations")["stations"]
    expect(page.locator("#circle-map [data-station]")).to_have_count(len(stations))
    time.sleep(0.5)
    shoot(page, "registry-1920x1080")


def test_map_draws_field_units_once(page, gateway):
    """A field unit is its dot on the grid map (dispatch's position); its radio, a device in ingest's list, is not
    drawn again as a device and a place of its own at the grid's centre."""
    login(page, gateway.url, OPERATOR)
    expect(page.locator('svg [data-unit="unit-01"]')).to_be_visible()
    expect(page.locator('#map [data-device^="radio-"]')).to_have_count(0)
    expect(page.locator('#map .place-label[data-place^="radio-"]')).to_have_count(0)
