"""The answer/abstain model's fit keeps each feature's weight to the sign it can have."""

from __future__ import annotations

import numpy as np
from script_modules import load_script

from retrieval.answerability import DIRECTION, FEATURES, MODEL_FILE, load_model

fit = load_script("fit_answerability")


def _data(seed: int = 7, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Random features where a miss feature (`unknown`) goes with answerable questions: an
    artefact a free fit would learn as a positive weight."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, len(FEATURES)))
    dense, unknown = FEATURES.index("dense"), FEATURES.index("unknown")
    y = (x[:, dense] + 0.8 * x[:, unknown] + rng.normal(0, 0.2, n) > 0.9).astype(int)
    return x, y


def test_a_miss_feature_gets_no_positive_weight_even_where_the_data_would_give_it() -> None:
    x, y = _data()
    model = fit.SignedLogistic(c=1.0).fit(x, y)
    weights = dict(zip(FEATURES, model.coef_, strict=True))
    assert weights["unknown"] <= 0.0 and weights["dense"] > 0.5
    for name, sign in DIRECTION.items():
        assert sign * weights[name] >= 0.0, name
    # what is left still predicts: the cosine alone sorts the questions
    p = model.predict_proba(x)[:, 1]
    assert p.shape == (len(y),) and np.all((p > 0) & (p < 1))
    assert p[y == 1].mean() > p[y == 0].mean() + 0.2


def test_without_the_signs_the_same_data_give_the_miss_a_positive_weight() -> None:
    # the check above can fail: a free fit (all signs open) learns the artefact
    x, y = _data()
    free = {name: 0 for name in FEATURES}
    original = dict(DIRECTION)
    try:
        DIRECTION.update(free)
        model = fit.SignedLogistic(c=1.0).fit(x, y)
    finally:
        DIRECTION.update(original)
    assert dict(zip(FEATURES, model.coef_, strict=True))["unknown"] > 0.5


def test_the_bundled_model_keeps_every_sign() -> None:
    model = load_model(MODEL_FILE)
    assert set(DIRECTION) == set(FEATURES)
    for name, sign in DIRECTION.items():
        assert sign * model.weights[name] >= 0.0, name
