"""The disposal-window suggestion: the shortest run of hours that covers the wanted share of out-of-hours dumping."""

from microbrain_analytics.places import Window, parse_window
from microbrain_analytics.queries import merge_windows, suggest_window

CURRENT = [Window(7, 9), Window(18, 20)]


def hours(**counts: int) -> list[int]:
    out = [0] * 24
    for key, n in counts.items():
        out[int(key[1:])] = n
    return out


def test_a_late_evening_peak_gets_the_two_hours_that_cover_most_of_it():
    # 50 out-of-hours alarms: 23 at 21h, 18 at 22h (41 = 82%), the rest scattered.
    profile = hours(h21=23, h22=18, h6=5, h13=2, h2=2)
    s = suggest_window(profile, CURRENT, 0.8, 3)
    assert (s.extra_window.start_hour, s.extra_window.end_hour) == (21, 23)
    assert (s.covered, round(s.covered_share, 2), s.reaches_target) == (41, 0.82, True)
    assert [(w.start_hour, w.end_hour) for w in s.suggested_windows] == [(7, 9), (18, 20), (21, 23)]
    assert "21:00-23:00" in s.summary and "82% (41/50)" in s.summary


def test_a_window_next_to_the_evening_one_extends_it():
    profile = hours(h20=30, h21=10, h3=2)
    s = suggest_window(profile, CURRENT, 0.8, 3)
    assert (s.extra_window.start_hour, s.extra_window.end_hour) == (20, 22)
    assert [(w.start_hour, w.end_hour) for w in s.suggested_windows] == [(7, 9), (18, 22)]


def test_when_one_hour_is_enough_one_hour_is_suggested_and_ties_prefer_touching_a_window():
    # 9h and 17h hold the same count: 17-18 touches the 18:00 window, so it is the one.
    s = suggest_window(hours(h9=5, h17=5), [Window(7, 8), Window(18, 20)], 0.5, 3)
    assert (s.extra_window.start_hour, s.extra_window.end_hour, s.covered) == (17, 18, 5)


def test_a_run_across_midnight_is_found():
    s = suggest_window(hours(h23=10, h0=10, h1=10, h12=3), CURRENT, 0.9, 3)
    assert (s.extra_window.start_hour, s.extra_window.end_hour, s.covered) == (23, 2, 30)


def test_spread_out_dumping_does_not_reach_the_share_and_says_so():
    s = suggest_window([1] * 24, CURRENT, 0.8, 3)
    assert not s.reaches_target
    assert (s.covered, s.max_extra_hours) == (3, 3)
    assert "未达 80%" in s.summary


def test_no_dumping_suggests_nothing():
    s = suggest_window([0] * 24, CURRENT, 0.8, 3)
    assert not s.HasField("extra_window")
    assert [(w.start_hour, w.end_hour) for w in s.suggested_windows] == [(7, 9), (18, 20)]


def test_english_summary():
    s = suggest_window(hours(h21=7, h22=3), CURRENT, 0.8, 3, "en")
    assert s.summary.startswith("add a disposal window 21:00-23:00")


def test_windows_merge_and_parse():
    assert merge_windows([Window(18, 20), Window(20, 22), Window(7, 9)]) == [Window(7, 9), Window(18, 22)]
    assert merge_windows([Window(22, 1), Window(0, 3)]) == [Window(22, 3)]
    assert parse_window("22:00-01:00").hours() == [22, 23, 0]
    assert parse_window("07:00-09:00") == Window(7, 9)
