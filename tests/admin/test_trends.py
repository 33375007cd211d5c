"""Spike detection over synthetic daily series (admin.trends)."""

from __future__ import annotations

import pytest

from admin.trends import Alert, TrendRule, baseline, detect, detect_signs, format_mean, is_spike

RULE = TrendRule(min_count=5, factor=3.0, window=14, sigmas=3.0, min_history=3)


def test_spike_far_above_a_quiet_baseline_is_detected() -> None:
    history = [2, 1, 3, 2, 2, 1, 2, 3, 2, 2, 1, 2, 3, 2]
    assert is_spike(history, 23, RULE)


def test_an_ordinary_day_is_not_a_spike() -> None:
    history = [2, 1, 3, 2, 2, 1, 2, 3, 2, 2, 1, 2, 3, 2]
    assert baseline(history, 14).mean == 2.0
    assert not is_spike(history, 3, RULE)
    assert not is_spike(history, 5, RULE)  # above min_count and mean + 3 std, below 3 x mean
    assert is_spike(history, 6, RULE)


def test_a_topic_with_bursts_before_needs_more_than_the_factor() -> None:
    history = [0] * 6 + [30] + [0] * 7  # mean 2.1, std 7.7: mean + 3 std is about 25
    assert not is_spike(history, 20, RULE)  # 9 x the mean, but within mean + 3 std
    assert is_spike(history, 26, RULE)


def test_a_busy_topic_that_wobbles_does_not_alert() -> None:
    history = [10, 30, 5, 40, 12, 35, 8, 28, 15, 33, 9, 31, 11, 36]  # mean 21.6
    assert not is_spike(history, 60, RULE)  # above mean + 3 std (58), below 3 x mean (65)
    assert is_spike(history, 65, RULE)


def test_min_count_guards_small_numbers() -> None:
    assert not is_spike([0] * 14, 4, RULE)
    assert is_spike([0] * 14, 5, RULE)


def test_flat_zero_series_never_alerts() -> None:
    assert detect({"hoc phi": [0] * 15}, RULE) == []
    assert not is_spike([0] * 14, 0, RULE)


def test_short_history_is_not_judged() -> None:
    assert not is_spike([], 50, RULE)
    assert not is_spike([0, 0], 50, RULE)
    assert is_spike([0, 0, 0], 50, RULE)


def test_only_the_window_counts_for_the_baseline() -> None:
    old_busy_days = [100] * 10
    assert is_spike(old_busy_days + [1] * 14, 20, RULE)
    assert baseline(old_busy_days + [1] * 14, 14).mean == 1.0


def test_baseline_mean_and_population_std() -> None:
    base = baseline([1, 3], 14)
    assert (base.days, base.mean, base.std) == (2, 2.0, 1.0)
    assert baseline([], 14).days == 0


def test_detect_labels_and_orders_by_jump() -> None:
    series = {
        "doc:hoc-phi": [2] * 14 + [23],
        "doc:tuyen-sinh": [0] * 14 + [8],
        "doc:lich-thi": [3] * 14 + [4],
    }
    alerts = detect(series, RULE, labels={"doc:hoc-phi": "học phí"})
    assert [alert.key for alert in alerts] == ["doc:hoc-phi", "doc:tuyen-sinh"]
    assert alerts[0].label == "học phí"
    assert alerts[1].label == "doc:tuyen-sinh"
    assert alerts[0].message() == "Câu hỏi về học phí tăng đột biến: 23 hôm nay, trung bình 2/ngày"


def test_signs_are_named_in_vietnamese() -> None:
    alerts = detect_signs({"misinformation": [0] * 13 + [1, 6], "unhelpful": [1] * 15}, RULE)
    assert [alert.kind for alert in alerts] == ["misinformation"]
    assert alerts[0].message("ngày 27/11/2026") == (
        "Báo cáo thông tin sai tăng đột biến: 6 ngày 27/11/2026, trung bình 0,1/ngày"
    )


@pytest.mark.parametrize(("value", "text"), [(2.0, "2"), (0.4, "0,4"), (12.46, "12,5"), (0.0, "0")])
def test_format_mean(value: float, text: str) -> None:
    assert format_mean(value) == text


def test_alert_message_of_a_sign_has_no_topic_prefix() -> None:
    alert = Alert(kind="feedback", key="feedback", label="Góp ý – phản ánh", today=9, mean=1.5, std=0.5)
    assert alert.message() == "Góp ý – phản ánh tăng đột biến: 9 hôm nay, trung bình 1,5/ngày"
