"""F1, F2 or none from exposure windows, and the change between two checks (RISK-59, RISK-61)."""

from __future__ import annotations

import contextlib
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluezone.protocol.errors import ProtocolError
from bluezone.protocol.risk.api import exposure_level_json, level_change_json
from bluezone.protocol.risk.levels import LevelSettings, exposure_level, level_change
from bluezone.protocol.risk.resources import enx_defaults
from bluezone.protocol.risk.windows import ExposureWindow, Infectiousness, ReportType, ScanInstance


def _window(report_type: ReportType, minutes: int, day: int = 19000) -> ExposureWindow:
    scans = tuple(ScanInstance(50, 50, 300) for _ in range(minutes // 5))  # immediate: x1.5
    return ExposureWindow(day, report_type, Infectiousness.HIGH, 3, scans)


def test_confirmed_window_gives_f1_with_its_score_and_threshold():
    level = exposure_level([_window(ReportType.CONFIRMED_TEST, 15)], enx_defaults())
    assert (level.level, level.day) == ("F1", 19000)
    assert level.score == 1350 and level.threshold == 900  # 900 s x 1.5 x 1.0 x 1.0


def test_recursive_window_alone_gives_f2_not_f1():
    level = exposure_level([_window(ReportType.RECURSIVE, 15)], enx_defaults())
    assert level.level == "F2" and level.score == 1350
    assert level.days[0].f1_score == 0  # ENX's recursive weight 0 keeps it out of F1


def test_f1_wins_over_f2_and_short_contacts_give_none():
    profile = enx_defaults()
    both = [_window(ReportType.RECURSIVE, 30), _window(ReportType.SELF_REPORT, 15, 19001)]
    assert exposure_level(both, profile).level == "F1"
    short = [_window(ReportType.RECURSIVE, 5), _window(ReportType.CONFIRMED_TEST, 5)]
    assert exposure_level(short, profile).level == "none"


def test_f2_threshold_and_weight_are_settings():
    windows = [_window(ReportType.RECURSIVE, 15)]
    strict = LevelSettings(recursive_score_sum_threshold=Fraction(2000))
    assert exposure_level(windows, enx_defaults(), strict).level == "none"
    heavy = LevelSettings(
        recursive_weight=Fraction(2), recursive_score_sum_threshold=Fraction(2000)
    )
    assert exposure_level(windows, enx_defaults(), heavy).level == "F2"


@pytest.mark.parametrize(
    ("before", "now", "matched_before", "matched_now", "expected"),
    [
        ("none", "F2", {}, {"recursive": 1}, ("new", "new_exposure")),
        ("F2", "none", {"recursive": 1}, {"revoked": 1}, ("withdrawn", "revoked")),
        ("F2", "none", {"recursive": 1}, {}, ("withdrawn", "aged_out")),
        ("F2", "F1", {"recursive": 1}, {"confirmed_test": 1}, ("raised", "upgraded")),
        (
            "F2",
            "F1",
            {"recursive": 1},
            {"recursive": 1, "confirmed_test": 1},
            ("raised", "new_exposure"),
        ),
        ("F1", "F2", {"confirmed_test": 1}, {"revoked": 1, "recursive": 1}, ("lowered", "revoked")),
        ("F1", "F1", {}, {}, None),
    ],
)
def test_level_changes_say_why(before, now, matched_before, matched_now, expected):
    assert level_change(before, now, matched_before, matched_now) == expected


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(_JSON)
def test_the_json_ops_raise_only_the_protocol_error(value):
    for op in (exposure_level_json, level_change_json):
        with contextlib.suppress(ProtocolError):
            op(value)


@given(st.sampled_from(["F1", "F2", "none"]), st.sampled_from(["F1", "F2", "none"]), _JSON)
def test_level_change_refuses_bad_counts(previous, current, counts):
    params = {"previous": previous, "current": current, "matched_before": counts, "matched_now": {}}
    with contextlib.suppress(ProtocolError):
        level_change_json(params)
