"""The charts: valid SVG and PNG of the requested size, Chinese that really renders in the shipped font (no
missing glyphs, no tofu), both languages, windows past midnight, empty answers, and bad arguments refused."""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
import threading
import unicodedata
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from fontTools.ttLib import TTFont
from microbrain.analytics.v1 import resources_pb2 as res
from microbrain_analytics import charts
from PIL import Image

ROOT = Path(__file__).resolve().parents[4]
SVG_NS = "{http://www.w3.org/2000/svg}"
ROOM = "耕读园小区 垃圾厢房 1"


def make_trend(days: int = 7, series: int = 3, end: dt.date = dt.date(2026, 11, 26)) -> res.AlarmTrend:
    names = [
        "耕读园小区 垃圾厢房 1 · litter_off_hours",
        "耕读园小区 22 号 · ebike_in_elevator",
        "爱琴海购物公园 · crowd",
        "首尔夜市 · crowd",
        "锦绣江南居委 · litter_off_hours",
        "上虹中学 · crowd",
        "龙柏区域处置网格 · litter_off_hours",
        "虹桥历史陈列馆 · crowd",
        "井亭实业 · litter_off_hours",
        "金汇、上虹区域处置网格 · ebike_in_elevator",
    ]
    trend = res.AlarmTrend(days=[(end - dt.timedelta(days=days - 1 - i)).isoformat() for i in range(days)])
    for k in range(series):
        counts = [(3 * i + 7 * k) % 11 + 10 - k for i in range(days)]
        trend.series.add(label=names[k % len(names)], counts=counts, total=sum(counts))
    trend.totals.extend(sum(s.counts[i] for s in trend.series) for i in range(days))
    trend.total = sum(trend.totals)
    trend.previous_total = trend.total * 8 // 9
    return trend


def make_profile(name: str = ROOM, *, windows: tuple[tuple[int, int], ...] = ((7, 9), (18, 20))) -> res.DumpingProfile:
    hours = [2, 0, 0, 0, 0, 1, 4, 0, 0, 0, 2, 0, 3, 1, 0, 0, 2, 3, 0, 0, 6, 14, 12, 5]
    profile = res.DumpingProfile(
        place_id="gengduyuan-refuse-1",
        name=name,
        hour_counts=hours,
        total=sum(hours),
        start_date="2026-10-28",
        end_date="2026-11-26",
    )
    for start, end in windows:
        profile.current_windows.add(start_hour=start, end_hour=end)
    suggestion = profile.suggestion
    suggestion.extra_window.start_hour, suggestion.extra_window.end_hour = 21, 23
    suggestion.covered, suggestion.covered_share = 26, 26 / sum(hours)
    suggestion.summary = "在 21:00-23:00 增设投放时段，可覆盖 47% (26/55) 的非投放时段投放"
    return profile


RENDERS: dict[str, Callable[..., bytes]] = {
    "trend": lambda **kw: charts.render_trend(make_trend(), **kw),
    "profile": lambda **kw: charts.render_profile(make_profile(), **kw),
}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def glyph_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.mark.parametrize("chart", list(RENDERS))
@pytest.mark.parametrize(("width", "height"), [(960, 480), (640, 360), (1280, 720)])
def test_png_has_the_signature_and_the_requested_pixel_size(chart: str, width: int, height: int) -> None:
    data = RENDERS[chart](fmt="png", width=width, height=height)
    assert png_size(data) == (width, height)
    assert charts.CONTENT_TYPES["png"] == "image/png"


@pytest.mark.parametrize("chart", list(RENDERS))
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_svg_parses_has_the_size_and_carries_its_text_as_paths(chart: str, language: str) -> None:
    data = RENDERS[chart](fmt="svg", language=language, width=800, height=400)
    root = ET.fromstring(data)
    assert root.tag == f"{SVG_NS}svg"
    # matplotlib writes the size in points: 800 px at 100 dpi = 8 in = 576 pt.
    assert root.get("width") == "576pt"
    assert root.get("height") == "288pt"
    assert root.findall(f".//{SVG_NS}text") == [], "text must be outlines, so no font is needed to show it"
    assert len(root.findall(f".//{SVG_NS}path")) > 50
    assert charts.CONTENT_TYPES["svg"] == "image/svg+xml"


@pytest.mark.parametrize("chart", list(RENDERS))
@pytest.mark.parametrize("fmt", ["svg", "png"])
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_no_glyph_is_missing_from_the_shipped_font(chart: str, fmt: str, language: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        RENDERS[chart](fmt=fmt, language=language)
    assert glyph_warnings(caught) == []


def test_the_missing_glyph_check_would_catch_a_character_the_font_lacks() -> None:
    # U+20000 (CJK extension B) is in neither the subset nor DejaVu Sans: matplotlib warns, as it would for any
    # Chinese text were the shipped font not used.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts.render_profile(make_profile("垃圾厢房 \U00020000"), fmt="png")
    assert glyph_warnings(caught), "expected a missing-glyph warning"


def test_chinese_names_render_as_real_glyphs() -> None:
    # Same-length names: Chinese against ASCII, and two different Chinese names (tofu boxes would be equal).
    chinese = pixels(charts.render_profile(make_profile("耕读园小区垃圾厢房"), fmt="png"))
    ascii_ = pixels(charts.render_profile(make_profile("ABCDEFGHI"), fmt="png"))
    other = pixels(charts.render_profile(make_profile("首尔夜市龙柏区域处"), fmt="png"))
    title = slice(0, 40)  # the title's band at 960×480
    assert (chinese[title] != ascii_[title]).any(axis=2).sum() > 200
    assert (chinese[title] != other[title]).any(axis=2).sum() > 200
    ink = (chinese[title] < 128).all(axis=2).sum()
    assert ink > 300, "the Chinese title drew hardly any dark pixels"


def test_the_font_is_shipped_and_covers_gb2312_and_the_scenarios() -> None:
    assert charts.FONT_PATH.is_file()
    assert charts.FONT_PATH.stat().st_size < 5_000_000
    assert (charts.FONT_PATH.parent / "OFL.txt").read_text(encoding="utf-8").count("SIL OPEN FONT LICENSE") == 1
    cmap = TTFont(charts.FONT_PATH)["cmap"].getBestCmap()
    wanted = set()
    for hi in [*range(0xA1, 0xAA), *range(0xB0, 0xF8)]:
        for lo in range(0xA1, 0xFF):
            try:
                wanted.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for scenario in (ROOT / "deploy" / "scenarios").glob("*.yaml"):
        wanted.update(c for c in scenario.read_text(encoding="utf-8") if unicodedata.category(c) != "Cc")
    assert len(wanted) > 7000
    assert sorted(c for c in wanted if ord(c) not in cmap) == []


@pytest.mark.parametrize("fmt", ["pdf", "jpeg", "SVG", ""])
def test_an_unknown_format_is_refused(fmt: str) -> None:
    with pytest.raises(ValueError, match="format"):
        charts.render_trend(make_trend(), fmt=fmt)
    with pytest.raises(ValueError, match="format"):
        charts.render_profile(make_profile(), fmt=fmt)


@pytest.mark.parametrize("language", ["zh", "fr", "en-US", ""])
def test_an_unknown_language_is_refused(language: str) -> None:
    with pytest.raises(ValueError, match="language"):
        charts.render_trend(make_trend(), language=language)
    with pytest.raises(ValueError, match="language"):
        charts.render_profile(make_profile(), language=language)


@pytest.mark.parametrize(("width", "height"), [(0, 480), (960, -1), (10**6, 480)])
def test_a_bad_size_is_refused(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="pixels"):
        charts.render_trend(make_trend(), width=width, height=height)


def test_a_bad_day_is_refused() -> None:
    with pytest.raises(ValueError, match="days"):
        charts.render_trend(res.AlarmTrend(days=["26-11-2026"], totals=[1]))


@pytest.mark.parametrize("days", [1, 7, 30, 90, 365, 800])
def test_trends_of_any_range_render(days: int) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = charts.render_trend(make_trend(days, series=4), fmt="png")
    assert png_size(data) == (960, 480)
    assert glyph_warnings(caught) == []


def test_more_than_eight_series_fold_into_other() -> None:
    trend = make_trend(7, series=10)
    lines = charts._series_lines(trend, 7, "其他")
    assert len(lines) == charts.MAX_SERIES + 1
    assert lines[-1][0] == "其他"
    assert [label for label, _ in lines[:-1]] == [s.label for s in sorted(trend.series, key=lambda s: -s.total)][:8]
    assert [sum(day) for day in zip(*(c for _, c in lines), strict=True)] == list(trend.totals)
    assert png_size(charts.render_trend(trend, fmt="png")) == (960, 480)


def test_the_title_can_be_replaced_and_the_language_changes_the_picture() -> None:
    zh = pixels(charts.render_trend(make_trend(), fmt="png"))
    en = pixels(charts.render_trend(make_trend(), fmt="png", language="en"))
    titled = pixels(charts.render_trend(make_trend(), fmt="png", title="金汇、上虹区域 本周报警"))
    assert (zh[:40] != en[:40]).any()
    assert (zh[:40] != titled[:40]).any()


@pytest.mark.parametrize("fmt", ["svg", "png"])
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_empty_answers_still_render(fmt: str, language: str) -> None:
    empty_profile = res.DumpingProfile(name=ROOM, hour_counts=[0] * 24)
    empty_profile.current_windows.add(start_hour=22, end_hour=1)
    answers = [
        charts.render_trend(res.AlarmTrend(), fmt=fmt, language=language),
        charts.render_trend(make_trend(7, series=0), fmt=fmt, language=language),
        charts.render_trend(res.AlarmTrend(days=["2026-11-25", "2026-11-26"], totals=[0, 0]), fmt=fmt),
        charts.render_profile(empty_profile, fmt=fmt, language=language),
        charts.render_profile(res.DumpingProfile(), fmt=fmt, language=language),
    ]
    for data in answers:
        if fmt == "png":
            assert png_size(data) == (960, 480)
        else:
            ET.fromstring(data)


def test_no_data_note_is_drawn() -> None:
    zero = make_profile()
    del zero.hour_counts[:]
    zero.hour_counts.extend([0] * 24)
    zero.total = 0
    zero.ClearField("suggestion")
    zh = pixels(charts.render_profile(zero, fmt="png"))
    en = pixels(charts.render_profile(zero, fmt="png", language="en"))
    middle = (slice(200, 300), slice(300, 600))  # the note sits in the middle of the plot
    assert (zh[middle] < 160).all(axis=2).sum() > 50
    assert (zh[middle] != en[middle]).any()


def test_windows_past_midnight_are_shaded_on_both_sides() -> None:
    assert charts._spans(res.HourWindow(start_hour=22, end_hour=1)) == [(22, 24), (0, 1)]
    assert charts._spans(res.HourWindow(start_hour=22, end_hour=0)) == [(22, 24)]
    assert charts._spans(res.HourWindow(start_hour=18, end_hour=20)) == [(18, 20)]
    assert charts._spans(res.HourWindow(start_hour=9, end_hour=9)) == []

    def shaded(windows: tuple[tuple[int, int], ...]) -> int:
        profile = make_profile(windows=windows)
        profile.ClearField("suggestion")
        image = pixels(charts.render_profile(profile, fmt="png"))
        green = (image[..., 1] - image[..., 0] > 12) & (image[..., 1] - image[..., 2] > 12)
        return int(green.sum())

    evening, wrapping = shaded(((22, 24),)), shaded(((22, 1),))
    assert wrapping > evening * 1.3  # the hour after midnight is shaded too, at the left edge


def test_the_same_chart_gives_the_same_bytes_and_leaves_rcparams_alone() -> None:
    before = dict(matplotlib.rcParams)
    first = charts.render_trend(make_trend(30), fmt="svg")
    assert charts.render_trend(make_trend(30), fmt="svg") == first
    assert charts.render_profile(make_profile(), fmt="png") == charts.render_profile(make_profile(), fmt="png")
    assert dict(matplotlib.rcParams) == before


def test_names_with_dollar_signs_are_not_mathtext() -> None:
    profile = make_profile("A$B$C 垃圾厢房 $x^2$")
    profile.suggestion.summary = "cost $5 and $6"
    assert png_size(charts.render_profile(profile, fmt="png")) == (960, 480)


def test_renders_from_worker_threads_match_a_serial_render() -> None:
    expected = charts.render_profile(make_profile(), fmt="png")
    results: list[bytes] = []

    def work() -> None:
        results.append(charts.render_profile(make_profile(), fmt="png"))
        results.append(charts.render_trend(make_trend(), fmt="svg"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(expected) == 4
    assert len(set(results)) == 2


def test_example_charts(tmp_path: Path) -> None:
    """Writes one chart of each kind (zh-CN, SVG and PNG) to $MB_CHART_EXAMPLES (or a temp folder), to look at."""
    out = Path(os.environ.get("MB_CHART_EXAMPLES") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    for fmt in ("svg", "png"):
        (out / f"trend_30d_zh.{fmt}").write_bytes(charts.render_trend(make_trend(30, series=10), fmt=fmt))
        (out / f"profile_zh.{fmt}").write_bytes(charts.render_profile(make_profile(), fmt=fmt))
    assert len(list(out.glob("*_zh.*"))) >= 4
