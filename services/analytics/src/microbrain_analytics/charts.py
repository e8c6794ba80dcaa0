"""Charts of the analytics answers, as SVG or PNG bytes: the daily alarm trend and a garbage room's dumping-hour
profile, labelled in Chinese or English.

The text is set in the font the package ships (fonts/NotoSansSC-Subset.otf: Noto Sans CJK SC, subset to
GB2312 and the punctuation around it; see fonts/README.md), so Chinese labels render on a machine without a
CJK font, and SVG text is written as paths, so the SVG looks the same where the font is not installed.

Rendering uses matplotlib's object API (Figure and an explicit canvas, never pyplot), so it needs no GUI
backend. matplotlib is not thread-safe, so renders are serialised on a lock, and the few settings that can
only be given as rcParams are applied inside `matplotlib.style.context` (starting from matplotlib's defaults, so
a process-wide style never changes the charts) and restored when the render ends.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import numbers
import threading
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.style
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.textpath import TextPath
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator
from microbrain.analytics.v1 import resources_pb2 as res

__all__ = ["CONTENT_TYPES", "FONT_PATH", "LANGUAGES", "render_profile", "render_trend"]

CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
LANGUAGES = ("zh-CN", "en")

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-Subset.otf"
DPI = 100
MAX_SERIES = 8  # series drawn one by one; the rest are summed into "other"
MIN_SIZE, MAX_SIZE = 64, 8192  # pixels

_TEXT = {
    "zh-CN": {
        "trend_title": "报警数量趋势",
        "trend_y": "报警数 / 天",
        "trend_x": "日期",
        "other": "其他",
        "total": "合计",
        "summary": "合计 {total}，较上期 {change}",
        "summary_no_previous": "合计 {total}，上期无数据",
        "range": "{start} 至 {end}",
        "no_data": "无数据",
        "profile_title": "非投放时段垃圾投放 · {name}",
        "profile_x": "时段 (本地时间)",
        "profile_y": "报警数",
        "profile_total": "共 {total} 起",
        "bars": "非投放时段报警",
        "current": "现行投放时段",
        "suggested": "建议增设时段",
        "month": "{month}月",
        "month_year": "{year}年{month}月",
    },
    "en": {
        "trend_title": "Alarm trend",
        "trend_y": "alarms per day",
        "trend_x": "date",
        "other": "other",
        "total": "total",
        "summary": "total {total}, {change} vs previous period",
        "summary_no_previous": "total {total}, no data for the previous period",
        "range": "{start} – {end}",
        "no_data": "no data",
        "profile_title": "Out-of-hours dumping · {name}",
        "profile_x": "hour of day (local time)",
        "profile_y": "alarms",
        "profile_total": "{total} alarms",
        "bars": "out-of-hours alarms",
        "current": "current disposal windows",
        "suggested": "suggested extra window",
        "month": "{abbr}",
        "month_year": "{abbr} {year}",
    },
}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Line colours of the series (matplotlib's tab10 without its grey), then "other" and the totals' bars.
_SERIES_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_OTHER_COLOUR = "#7f7f7f"
_TOTAL_COLOUR = "#c9d6e3"
_BAR_COLOUR = "#4c72b0"
_BAR_SUGGESTED_COLOUR = "#c44e00"
_CURRENT_COLOUR = "#2ca02c"
_SUGGESTED_COLOUR = "#ff7f0e"
_MUTED = "#555555"

_LOCK = threading.Lock()
_family: str | None = None


def _font_family() -> str:
    """Registers the shipped font with matplotlib (once) and returns its family name. Called under _LOCK."""
    global _family
    if _family is None:
        font_manager.fontManager.addfont(str(FONT_PATH))
        _family = FontProperties(fname=FONT_PATH).get_name()
    return _family


def _rc(family: str) -> dict[str, object]:
    return {
        "font.family": [family, "DejaVu Sans"],  # DejaVu (bundled with matplotlib) for any rarer symbol
        "svg.fonttype": "path",  # text as outlines: the SVG needs no font where it is shown
        "svg.hashsalt": "microbrain-analytics",  # stable element ids: the same chart gives the same bytes
        "axes.unicode_minus": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.axisbelow": True,
    }


def _check(fmt: str, language: str, width: int, height: int) -> dict[str, str]:
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"unsupported chart format {fmt!r}: use one of {', '.join(CONTENT_TYPES)}")
    if language not in _TEXT:
        raise ValueError(f"unsupported chart language {language!r}: use one of {', '.join(LANGUAGES)}")
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not MIN_SIZE <= value <= MAX_SIZE:
            raise ValueError(f"chart {name} must be a whole number of pixels in {MIN_SIZE}..{MAX_SIZE}, got {value!r}")
    return _TEXT[language]


class _Style:
    """Font properties for one chart, scaled a little with its size."""

    def __init__(self, family: str, width: int, height: int) -> None:
        scale = min(max(min(width / 960, height / 480), 0.75), 2.0)
        self.family = family
        self.scale = scale
        self.title = self.font(14.5)
        self.subtitle = self.font(10)
        self.label = self.font(10)
        self.tick = 9 * scale
        self.legend = self.font(9)
        self.caption = self.font(10.5)
        self.note = self.font(16)

    def font(self, size: float) -> FontProperties:
        return FontProperties(family=[self.family, "DejaVu Sans"], size=size * self.scale)


def _render(build: Callable[[Figure, _Style], None], fmt: str, width: int, height: int) -> bytes:
    with _LOCK:
        family = _font_family()
        with matplotlib.style.context(["default", _rc(family)]):
            fig = Figure(figsize=(int(width) / DPI, int(height) / DPI), dpi=DPI, layout="constrained")
            if fmt == "png":
                FigureCanvasAgg(fig)
            else:
                FigureCanvasSVG(fig)
            fig.get_layout_engine().set(w_pad=8 / DPI, h_pad=6 / DPI)
            build(fig, _Style(family, width, height))
            buf = io.BytesIO()
            metadata = {"Date": None} if fmt == "svg" else {}
            fig.savefig(buf, format=fmt, dpi=DPI, metadata=metadata)
            return buf.getvalue()


def _no_math(*texts: Text) -> None:
    """Shows names as they are: a "$" in a place name must not switch to mathtext."""
    for text in texts:
        text.set_parse_math(False)


def _is_wide(c: str) -> bool:
    return unicodedata.east_asian_width(c) in "WF"


def _columns(text: str) -> int:
    return sum(2 if _is_wide(c) else 1 for c in text)


def _wrap(text: str, max_columns: int) -> str:
    """Wraps a line of mixed Chinese and Latin text at about max_columns (a CJK character counts 2)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in _tokens(paragraph):
            if line and _columns(line + word) > max_columns:
                lines.append(line.rstrip())
                line = word.lstrip()
            else:
                line += word
        lines.append(line.rstrip())
    return "\n".join(lines)


def _tokens(text: str) -> list[str]:
    """Splits at spaces and between CJK characters (each may start a line), keeping Latin words whole."""
    tokens: list[str] = []
    for c in text:
        if tokens and not _is_wide(c) and c != " " and tokens[-1][-1] != " " and not _is_wide(tokens[-1][-1]):
            tokens[-1] += c  # the next letter of a Latin word or number
        else:
            tokens.append(c)
    return tokens


def _shorten(text: str, max_columns: int) -> str:
    if _columns(text) <= max_columns:
        return text
    out = ""
    for c in text:
        if _columns(out + c) > max_columns - 1:
            break
        out += c
    return out.rstrip() + "…"


def _change(total: int, previous_total: int, text: dict[str, str]) -> str:
    if previous_total <= 0:
        return text["summary_no_previous"].format(total=total)
    pct = (total - previous_total) / previous_total * 100
    change = "±0%" if round(pct, 1) == 0 else f"{pct:+.1f}%"
    return text["summary"].format(total=total, change=change)


def _pad(values: Sequence[int], n: int) -> list[int]:
    values = [int(v) for v in values[:n]]
    return values + [0] * (n - len(values))


def _parse_days(days: Sequence[str]) -> list[dt.date]:
    try:
        return [dt.date.fromisoformat(day) for day in days]
    except ValueError as exc:
        raise ValueError(f"AlarmTrend.days must be dates like '2026-11-01': {exc}") from None


def _date_ticks(ax: Axes, days: list[dt.date], width: float, text: dict[str, str], style: _Style) -> None:
    """Ticks on whole days for up to about three months (the last day always labelled), on months beyond."""
    plot_width = width * 0.72
    max_ticks = max(2, int(plot_width / (62 * style.scale)))
    nums = mdates.date2num(days)
    span = (days[-1] - days[0]).days + 1
    if span <= 92:
        step = next(s for s in (1, 2, 3, 7, 14, 21, 28) if math.ceil(len(days) / s) <= max_ticks or s == 28)
        ticks = list(nums[::-1][::step][::-1])
        labels = {float(mdates.date2num(d)): d.strftime("%m-%d") for d in days}
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: labels.get(float(x), "")))
        return
    months = []
    first = dt.date(days[0].year, days[0].month, 1)
    if first < days[0]:
        first = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    month = first
    while month <= days[-1]:
        months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    step = 1
    while math.ceil(len(months) / step) > max_ticks:
        step += 1
    months = months[::step]
    labels = {}
    for i, m in enumerate(months):
        key = "month_year" if i == 0 or m.month == 1 or (step > 1 and m.month <= step and i > 0) else "month"
        labels[float(mdates.date2num(m))] = text[key].format(year=m.year, month=m.month, abbr=_MONTHS_EN[m.month - 1])
    ax.xaxis.set_major_locator(FixedLocator(list(labels)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: labels.get(float(x), "")))
    ax.xaxis.set_minor_locator(FixedLocator(list(nums)) if len(days) <= 400 else mdates.MonthLocator())
    ax.tick_params(axis="x", which="minor", length=0)


def _no_data(ax: Axes, text: dict[str, str], style: _Style) -> None:
    note = ax.text(
        0.5,
        0.5,
        text["no_data"],
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=_MUTED,
        fontproperties=style.note,
        zorder=5,
    )
    _no_math(note)


def _axes_text(ax: Axes, xlabel: str, ylabel: str, style: _Style) -> None:
    ax.set_xlabel(xlabel, fontproperties=style.label, color=_MUTED)
    ax.set_ylabel(ylabel, fontproperties=style.label, color=_MUTED)
    ax.tick_params(labelsize=style.tick, labelfontfamily=[style.family, "DejaVu Sans"], colors="#333333")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=3))
    ax.grid(axis="y", color="#e3e3e3", linewidth=0.8)


def _legend(ax: Axes, handles: list, labels: list[str], style: _Style, *, outside: bool = True) -> None:
    """The legend right of the plot, or (narrow charts) inside it where it covers the least."""
    if outside:
        placement = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0, "frameon": False}
    else:
        placement = {"loc": "best", "frameon": True, "framealpha": 0.9, "edgecolor": "#dddddd"}
    legend = ax.legend(handles, labels, prop=style.legend, handlelength=1.6, **placement)
    _no_math(*legend.get_texts())


def _series_lines(trend: res.AlarmTrend, n: int, other: str) -> list[tuple[str, list[int]]]:
    """(legend label, counts per day) of the lines to draw: the MAX_SERIES largest series, then the rest summed
    into one labelled `other`."""
    series = sorted(trend.series, key=lambda s: -sum(s.counts))  # stable: the server's order among equals
    lines = [(s.label or s.type or s.place_id or "?", _pad(s.counts, n)) for s in series]
    if len(lines) <= MAX_SERIES:
        return lines
    rest = [counts for _, counts in lines[MAX_SERIES:]]
    return [*lines[:MAX_SERIES], (other, [sum(day) for day in zip(*rest, strict=True)] if n else [])]


def render_trend(
    trend: res.AlarmTrend,
    *,
    fmt: str = "svg",
    language: str = "zh-CN",
    width: int = 960,
    height: int = 480,
    title: str = "",
) -> bytes:
    """The daily alarm trend: the day's total as light bars, one line per series (the 8 largest; the rest
    summed into "other"), dates on the x axis and the total against the previous period under the title.

    fmt is "svg" or "png", language "zh-CN" or "en", width and height are pixels (at 100 dpi); title replaces
    the default one. Raises ValueError for another format or language, a bad size or a day that is not a date.
    """
    text = _check(fmt, language, width, height)
    days = _parse_days(trend.days)
    n = len(days)
    counts = _series_lines(trend, n, text["other"])
    totals = _pad(trend.totals, n)
    if not any(totals) and counts:
        totals = [sum(day) for day in zip(*(c for _, c in counts), strict=True)]
    total = trend.total or sum(totals)
    empty = n == 0 or not any(totals)

    def build(fig: Figure, style: _Style) -> None:
        ax = fig.add_subplot()
        suptitle = fig.suptitle(title or text["trend_title"], fontproperties=style.title)
        subtitle = _change(total, trend.previous_total, text)
        if n:
            subtitle = f"{text['range'].format(start=days[0].isoformat(), end=days[-1].isoformat())} · {subtitle}"
        ax.set_title(subtitle, fontproperties=style.subtitle, color=_MUTED, pad=8 * style.scale)
        _no_math(suptitle, ax.title)
        _axes_text(ax, text["trend_x"], text["trend_y"], style)
        if n:
            x = mdates.date2num(days)
            ax.set_xlim(x[0] - 0.6, x[-1] + 0.6)
            _date_ticks(ax, days, fig.bbox.width, text, style)
        else:
            ax.set_xticks([])
        if empty:
            ax.set_ylim(0, 1)
            ax.yaxis.set_major_locator(FixedLocator([0, 1]))
            _no_data(ax, text, style)
            return
        handles, labels = [], []
        if n <= 92:
            handles.append(ax.bar(x, totals, width=0.8, color=_TOTAL_COLOUR, linewidth=0, zorder=1))
        else:  # a year of bars is a moiré of slivers: the same as one stepped area
            handles.append(ax.fill_between(x, totals, step="mid", color=_TOTAL_COLOUR, linewidth=0, zorder=1))
        labels.append(text["total"])
        marker = "o" if n <= 14 else None
        for i, (label, values) in enumerate(counts):
            colour = _OTHER_COLOUR if i == MAX_SERIES else _SERIES_COLOURS[i]
            (line,) = ax.plot(
                x,
                values,
                color=colour,
                linewidth=1.8 * style.scale if n <= 92 else 1.2 * style.scale,
                marker=marker,
                markersize=3.5 * style.scale,
                zorder=3,
                linestyle="--" if i == MAX_SERIES else "-",
            )
            handles.append(line)
            labels.append(_shorten(label, max(16, width // 27)))
        ax.set_ylim(0, max(totals) * 1.08)
        _legend(ax, handles, labels, style)

    return _render(build, fmt, width, height)


def _spans(window: res.HourWindow) -> list[tuple[int, int]]:
    """The hour ranges a window covers on a 0..24 axis: two when it runs past midnight, none when empty."""
    start, end = window.start_hour % 24, window.end_hour
    end = 24 if end == 24 else end % 24
    if end > start:
        return [(start, end)]
    if end < start:
        return [r for r in ((start, 24), (0, end)) if r[1] > r[0]]
    return []


def _text_px(text: str, font: FontProperties) -> float:
    """The width of a line of text in pixels."""
    return TextPath((0, 0), text, prop=font).get_extents().width * DPI / 72


def _window_labels(window: res.HourWindow) -> tuple[str, str]:
    """The window as "21:00-23:00", and shorter, "21-23"."""
    start, end = window.start_hour % 24, window.end_hour if window.end_hour == 24 else window.end_hour % 24
    return f"{start:02d}:00-{end:02d}:00", f"{start:02d}-{end:02d}"


def render_profile(
    profile: res.DumpingProfile,
    *,
    fmt: str = "svg",
    language: str = "zh-CN",
    width: int = 960,
    height: int = 480,
    title: str = "",
) -> bytes:
    """A garbage room's out-of-hours dumping by hour of day: 24 bars, the disposal windows in force shaded
    green, the suggested extra window (if any) shaded orange, both wrapping past midnight where they do, and
    the suggestion's summary as a caption under the chart.

    fmt is "svg" or "png", language "zh-CN" or "en", width and height are pixels (at 100 dpi); title replaces
    the default one. Raises ValueError for another format or language or a bad size.
    """
    text = _check(fmt, language, width, height)
    hours = _pad(profile.hour_counts, 24)
    total = profile.total or sum(hours)
    name = profile.name or profile.place_id
    suggestion = profile.suggestion
    extra = suggestion.extra_window if suggestion.HasField("extra_window") else None
    extra_spans = _spans(extra) if extra is not None else []
    in_extra = {h for a, b in extra_spans for h in range(a, b)}

    outside = width >= 720  # the legend right of the plot, or inside it on narrow charts

    def build(fig: Figure, style: _Style) -> None:
        ax = fig.add_subplot()
        suptitle = fig.suptitle(title or text["profile_title"].format(name=name), fontproperties=style.title)
        subtitle = text["profile_total"].format(total=total)
        if profile.start_date and profile.end_date:
            period = text["range"].format(start=profile.start_date, end=profile.end_date)
            subtitle = f"{period} · {subtitle}"
        ax.set_title(subtitle, fontproperties=style.subtitle, color=_MUTED, pad=8 * style.scale)
        _no_math(suptitle, ax.title)
        _axes_text(ax, text["profile_x"], text["profile_y"], style)
        ax.set_xlim(0, 24)
        step = 1 if width >= 560 else 2 if width >= 300 else 3
        ax.set_xticks([h + 0.5 for h in range(0, 24, step)], [f"{h:02d}" for h in range(0, 24, step)])
        ax.set_xticks(range(25), minor=True)
        ax.tick_params(axis="x", which="major", length=0)
        ax.tick_params(axis="x", which="minor", length=3)

        handles, labels = [], []
        peak = max(hours)
        ax.set_ylim(0, max(peak * 1.18, 1))
        if peak == 0:
            ax.yaxis.set_major_locator(FixedLocator([0, 1]))
        colours = [_BAR_SUGGESTED_COLOUR if h in in_extra else _BAR_COLOUR for h in range(24)]
        ax.bar([h + 0.5 for h in range(24)], hours, width=0.72, color=colours, linewidth=0, zorder=2)
        handles.append(Patch(facecolor=_BAR_COLOUR))
        labels.append(text["bars"])
        spans = [(w, _spans(w), _CURRENT_COLOUR, 0.16) for w in profile.current_windows]
        if extra is not None:
            spans.append((extra, extra_spans, _SUGGESTED_COLOUR, 0.22))
        current_hours = {
            h for _, parts, colour, _ in spans if colour == _CURRENT_COLOUR for a, b in parts for h in range(a, b)
        }
        hour_px = width * (0.8 if outside else 0.9) / 24  # about: the plot's share of the width
        label_font = style.font(8)
        for window, parts, colour, alpha in spans:
            for a, b in parts:
                ax.axvspan(a, b, facecolor=colour, alpha=alpha, edgecolor="none", zorder=0)
            if not parts:
                continue
            # The window's hours at the top of its widest part, shortened or left out where they do not fit.
            a, b = max(parts, key=lambda p: p[1] - p[0])
            fits = [t for t in _window_labels(window) if _text_px(t, label_font) + 4 <= (b - a) * hour_px]
            if not fits:
                continue
            second_row = colour == _SUGGESTED_COLOUR and bool(current_hours & set(range(a, b)))
            label = ax.text(
                (a + b) / 2,
                0.985 - (0.06 if second_row else 0.0),
                fits[0],
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                color=colour if colour != _SUGGESTED_COLOUR else _BAR_SUGGESTED_COLOUR,
                fontproperties=label_font,
                zorder=4,
            )
            _no_math(label)
        if any(parts for _, parts, colour, _ in spans if colour == _CURRENT_COLOUR):
            handles.append(Patch(facecolor=_CURRENT_COLOUR, alpha=0.16 * 2))
            labels.append(text["current"])
        if extra_spans:
            handles.append(Patch(facecolor=_SUGGESTED_COLOUR, alpha=0.22 * 2))
            labels.append(text["suggested"])
        _legend(ax, handles, labels, style, outside=outside)
        if peak == 0:
            _no_data(ax, text, style)
        if suggestion.summary:
            columns = int(width / (style.caption.get_size_in_points() * DPI / 72 * 0.56))
            caption = fig.supxlabel(
                _wrap(suggestion.summary, max(columns, 20)), fontproperties=style.caption, color="#222222"
            )
            _no_math(caption)

    return _render(build, fmt, width, height)
