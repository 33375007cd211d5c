"""Fusion and confidence are pure functions: checked on tiny and empty inputs."""

from __future__ import annotations

import pytest

from retrieval import fusion


def test_rrf_rewards_items_ranked_well_by_both() -> None:
    fused = fusion.reciprocal_rank_fusion([[(1, 0.9), (2, 0.8)], [(2, 7.0), (3, 5.0)]], k=60)
    assert [item for item, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_rrf_empty_inputs_and_weights() -> None:
    assert fusion.reciprocal_rank_fusion([]) == []
    assert fusion.reciprocal_rank_fusion([[], []]) == []
    fused = fusion.reciprocal_rank_fusion([[(1, 1.0)], [(2, 1.0)]], weights=[1.0, 3.0])
    assert [item for item, _ in fused] == [2, 1]


def test_rrf_ties_broken_by_id() -> None:
    fused = fusion.reciprocal_rank_fusion([[(5, 1.0)], [(4, 1.0)]])
    assert [item for item, _ in fused] == [4, 5]


def test_scale_clips_and_rejects_empty_range() -> None:
    assert fusion.scale(0.5, 0.0, 1.0) == 0.5
    assert fusion.scale(-1, 0.0, 1.0) == 0.0
    assert fusion.scale(3, 0.0, 1.0) == 1.0
    with pytest.raises(ValueError):
        fusion.scale(1, 1.0, 1.0)


def test_score_mix_combines_calibrated_scores() -> None:
    mixed = fusion.score_mix(
        [(1, 0.92), (2, 0.80)], [(2, 6.0), (3, 3.0)],
        lexical_ceiling=6.0, dense_weight=0.5, dense_low=0.75, dense_high=0.92,
    )
    scores = dict(mixed)
    assert scores[1] == pytest.approx(0.5)
    assert scores[2] == pytest.approx(0.5 * (0.05 / 0.17) + 0.5)
    assert scores[3] == pytest.approx(0.25)
    assert [item for item, _ in mixed] == [2, 1, 3]


def test_score_mix_empty_and_zero_ceiling() -> None:
    assert fusion.score_mix([], [], lexical_ceiling=1.0) == []
    assert fusion.score_mix([], [(1, 2.0)], lexical_ceiling=0.0) == []
    assert dict(fusion.score_mix([(1, 1.0)], [(1, 9.0)], lexical_ceiling=3.0))[1] == 1.0


def test_logistic_is_safe_at_large_magnitudes() -> None:
    assert fusion.logistic(0) == 0.5
    assert fusion.logistic(1000) == 1.0
    assert fusion.logistic(-1000) == 0.0
    assert 0.0 < fusion.logistic(-1.0) < 0.5 < fusion.logistic(1.0) < 1.0
