"""Trend alerts: which topics or warning signs jumped today, compared with the recent past.

Pure functions over daily counts, so the rule can be tested with synthetic series and the
dashboard, the daily summary and its export all share it. A series is a list of daily counts,
oldest first, whose last element is "today" (the day being judged).

The rule (`TrendRule`), chosen to be quiet on a small commune's noisy, mostly-zero counts:
- the baseline is the `window` days (default 14) before today; days before the first recorded
  activity are not part of it (the caller cuts them off), and with fewer than `min_history`
  days of baseline (default 3) nothing is judged: a new installation has no "normal" yet;
- today is a spike when all three hold: today >= `min_count` (a handful of questions is never
  news), today >= `factor` x baseline mean (a real jump, not a drift), and
  today > mean + `sigmas` x standard deviation (population std; 3 by default), so a topic
  that is always busy and merely wobbles does not alert.
A flat zero baseline makes the last two conditions reduce to today > 0, so `min_count` decides.

The same rule judges the warning signs (unhelpful ratings, misinformation reports, feedback
tickets); their alerts name the sign instead of a topic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DEFAULT_WINDOW = 14
DEFAULT_MIN_HISTORY = 3
DEFAULT_SIGMAS = 3.0


@dataclass(frozen=True)
class TrendRule:
    """Thresholds of a spike (see the module docstring)."""

    min_count: int = 5
    factor: float = 3.0
    window: int = DEFAULT_WINDOW
    sigmas: float = DEFAULT_SIGMAS
    min_history: int = DEFAULT_MIN_HISTORY


@dataclass(frozen=True)
class Baseline:
    """Mean and population standard deviation of the days before today."""

    days: int
    mean: float
    std: float


@dataclass(frozen=True)
class Alert:
    """One spike: `kind` is "topic" or a sign ("unhelpful", "misinformation", "feedback")."""

    kind: str
    key: str
    label: str
    today: int
    mean: float
    std: float

    def message(self, day_label: str = "hôm nay") -> str:
        """The alert in Vietnamese, e.g. "Câu hỏi về học phí tăng đột biến: 23 hôm nay, trung bình 2/ngày"."""
        subject = f"Câu hỏi về {self.label}" if self.kind == "topic" else self.label
        return f"{subject} tăng đột biến: {self.today} {day_label}, trung bình {format_mean(self.mean)}/ngày"


SIGN_LABELS = {
    "unhelpful": "Đánh giá “chưa hữu ích”",
    "misinformation": "Báo cáo thông tin sai",
    "feedback": "Góp ý – phản ánh",
}


def format_mean(value: float) -> str:
    """A daily mean as Vietnamese write it: "2", "0,4", "12,5" (decimal comma, one digit)."""
    rounded = round(value, 1)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.1f}".replace(".", ",")


def baseline(history: Sequence[int], window: int = DEFAULT_WINDOW) -> Baseline:
    """Mean and std of the last `window` values of `history` (the days before today)."""
    recent = list(history)[-window:] if window > 0 else []
    if not recent:
        return Baseline(days=0, mean=0.0, std=0.0)
    mean = sum(recent) / len(recent)
    variance = sum((value - mean) ** 2 for value in recent) / len(recent)
    return Baseline(days=len(recent), mean=mean, std=math.sqrt(variance))


def is_spike(history: Sequence[int], today: int, rule: TrendRule) -> bool:
    """Whether `today` is far above the baseline of `history` under `rule`."""
    base = baseline(history, rule.window)
    if base.days < rule.min_history:
        return False
    return (
        today >= rule.min_count
        and today >= rule.factor * base.mean
        and today > base.mean + rule.sigmas * base.std
    )


def detect(
    series: Mapping[str, Sequence[int]],
    rule: TrendRule,
    *,
    kind: str = "topic",
    labels: Mapping[str, str] | None = None,
) -> list[Alert]:
    """Alerts for every key whose series ends in a spike, biggest jump first.

    `series[key]` is the key's daily counts, oldest first, today last; `labels[key]` is the
    text shown for the key (the key itself when missing).
    """
    alerts = []
    for key, counts in series.items():
        if not counts:
            continue
        history, today = list(counts[:-1]), int(counts[-1])
        if not is_spike(history, today, rule):
            continue
        base = baseline(history, rule.window)
        label = (labels or {}).get(key, key)
        alerts.append(Alert(kind=kind, key=key, label=label, today=today, mean=base.mean, std=base.std))
    return sorted(alerts, key=lambda alert: (-(alert.today - alert.mean), alert.label))


def detect_signs(series: Mapping[str, Sequence[int]], rule: TrendRule) -> list[Alert]:
    """Alerts for the warning signs (keys of `SIGN_LABELS`) under the same rule."""
    alerts: list[Alert] = []
    for key, counts in series.items():
        alerts += detect({key: counts}, rule, kind=key, labels={key: SIGN_LABELS.get(key, key)})
    return alerts
