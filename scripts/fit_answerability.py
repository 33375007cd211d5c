"""Fit the answer/abstain model (`retrieval/answerability.json`) on the training questions.

    .venv/bin/python scripts/fit_answerability.py            # fit, cross-validate, write the JSON
    .venv/bin/python scripts/fit_answerability.py --dry-run  # cross-validate only
    # a commune's own reviewed questions (`bot review export-labels`) on its own knowledge base:
    .venv/bin/python scripts/fit_answerability.py --kb current --questions labels.jsonl \
        --output var/data/answerability.json   # then RETRIEVAL_ANSWERABILITY_MODEL=that file

Training questions: `tests/retrieval/train_questions.jsonl`, written separately from the
development set (`dev_questions.jsonl`, used only to report results by
`scripts/eval_retrieval.py`) and never taken from `../shared/eval-third-party`.  Knowledge base:
the same `data/kb` + `../shared/kb-sources` index the evaluator builds in `var/eval/dev`, asked
on DEMO_TODAY with the default settings.

The model is a class-balanced, L2-regularised logistic regression on standardised features
clipped to ±3 (`retrieval.answerability.FEATURES`), its weights held to the sign each feature
can have (`retrieval.answerability.DIRECTION`: a cover only for an answer, a miss only against;
fitted with SciPy's bounded L-BFGS-B); the regularisation strength is the one with the best
cross-validated AUC.  The threshold comes from out-of-fold probabilities of
repeated stratified 5-fold cross-validation on the training set: the highest cut that declines
at most `--budget` (5 %) of the answerable training questions.  That budget is the product
rule: a parent with an answerable question must almost always get it (the hit@5 ≥ 0.95 goal
leaves 5 %), and within it the bot declines as many unanswerable questions as it can.
Neither the weights nor the threshold see a development question.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TRAIN_QUESTIONS = ROOT / "tests" / "retrieval" / "train_questions.jsonl"
OUTPUT = ROOT / "retrieval" / "answerability.json"
SEED = 20261128
MIN_ANSWERABLE, MIN_UNANSWERABLE = 30, 15  # below this a fit says more about chance than the bot
C_GRID = (0.1, 0.5, 2.0)  # inverse L2 strength; the one with the best CV AUC is kept


def abstention(labels: np.ndarray, answered: np.ndarray) -> tuple[float, float]:
    """(precision, recall) of abstaining; labels 1 = answerable."""
    abstained = ~answered
    correct = np.sum(abstained & (labels == 0))
    precision = correct / abstained.sum() if abstained.sum() else 0.0
    recall = correct / np.sum(labels == 0) if np.sum(labels == 0) else 1.0
    return float(precision), float(recall)


class SignedLogistic:
    """Class-balanced logistic regression with an L2 penalty (1/c) on standardised features
    clipped to ±Z_LIMIT, as `retrieval.answerability.Model.probability` reads them at answer
    time, each weight held to its feature's sign in `DIRECTION` (0: free)."""

    def __init__(self, c: float) -> None:
        self.c = c

    def _standardised(self, x: np.ndarray) -> np.ndarray:
        from retrieval.answerability import Z_LIMIT

        return np.clip((x - self.mean_) / self.scale_, -Z_LIMIT, Z_LIMIT)

    def fit(self, x: np.ndarray, y: np.ndarray) -> SignedLogistic:
        from scipy.optimize import minimize

        from retrieval.answerability import DIRECTION, FEATURES

        self.mean_ = x.mean(axis=0)
        spread = x.std(axis=0)
        self.scale_ = np.where(spread > 0, spread, 1.0)
        z = self._standardised(x)
        # "balanced" class weights: each class weighs as much in total
        weight = np.where(y == 1, len(y) / (2 * max(y.sum(), 1)),
                          len(y) / (2 * max((1 - y).sum(), 1)))

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            score = z @ theta[:-1] + theta[-1]
            error = weight * (1 / (1 + np.exp(-score)) - y)
            value = np.sum(weight * (np.logaddexp(0, score) - y * score))
            value += 0.5 / self.c * theta[:-1] @ theta[:-1]
            return float(value), np.append(z.T @ error + theta[:-1] / self.c, error.sum())

        bounds = [(0.0, None) if DIRECTION[name] > 0 else (None, 0.0) if DIRECTION[name] < 0
                  else (None, None) for name in FEATURES] + [(None, None)]
        fitted = minimize(loss, np.zeros(len(FEATURES) + 1), jac=True, method="L-BFGS-B",
                          bounds=bounds)
        self.coef_, self.intercept_ = fitted.x[:-1], float(fitted.x[-1])
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(1 - p, p) per row, p as the bot computes it (`Model.probability`)."""
        from retrieval.answerability import FEATURES, Model

        fitted = Model(weights=dict(zip(FEATURES, self.coef_, strict=True)),
                       bias=self.intercept_, mean=dict(zip(FEATURES, self.mean_, strict=True)),
                       scale=dict(zip(FEATURES, self.scale_, strict=True)), threshold=0.5)
        p = np.array([fitted.probability(dict(zip(FEATURES, row, strict=True))) for row in x])
        return np.stack([1 - p, p], axis=1)


def model(c: float) -> SignedLogistic:
    return SignedLogistic(c)


def out_of_fold(x: np.ndarray, y: np.ndarray, c: float, repeats: int = 5) -> np.ndarray:
    """Out-of-fold probabilities of repeated stratified 5-fold cross-validation (repeats x n)."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    folds = RepeatedStratifiedKFold(n_splits=5, n_repeats=repeats, random_state=SEED)
    probabilities = np.zeros((repeats, len(y)))
    for index, (train, test) in enumerate(folds.split(x, y)):
        fitted = model(c).fit(x[train], y[train])
        probabilities[index // 5, test] = fitted.predict_proba(x[test])[:, 1]
    return probabilities


def budget_threshold(y: np.ndarray, probabilities: np.ndarray, budget: float) -> float:
    """The highest cut that declines at most `budget` of the answerable questions."""
    return float(np.quantile(probabilities[y == 1], budget))


def cross_validate(x: np.ndarray, y: np.ndarray, c: float, budget: float) -> dict[str, float]:
    """Out-of-fold AUC, the threshold for the false-abstention budget, and the abstention
    precision/recall that threshold gives out of fold (mean over repeats)."""
    from sklearn.metrics import roc_auc_score

    probabilities = out_of_fold(x, y, c)
    threshold = budget_threshold(y, probabilities.mean(axis=0), budget)
    pairs = [abstention(y, row >= threshold) for row in probabilities]
    return {"auc": float(np.mean([roc_auc_score(y, row) for row in probabilities])),
            "abstain_precision": float(np.mean([p for p, _ in pairs])),
            "abstain_recall": float(np.mean([r for _, r in pairs])),
            "answerable_declined": float(np.mean([np.mean(row[y == 1] < threshold)
                                                   for row in probabilities])),
            "threshold": round(threshold, 3)}


def collect(questions: list[dict[str, Any]], today: dt.date | None = None
            ) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Feature matrix, labels and search results for `questions` on the loaded knowledge base,
    asked on `today` (default: the dev set's date)."""
    from eval_retrieval import DEMO_TODAY, run_mode

    from retrieval.answerability import FEATURES

    results, _ = run_mode("mix", questions, today or DEMO_TODAY)
    x = np.array([[r.features.get(name, 0.0) for name in FEATURES] for r in results])
    y = np.array([int(q["expected_doc"] is not None) for q in questions])
    return x, y, results


def show_errors(questions: list[dict[str, Any]], x: np.ndarray, y: np.ndarray,
                probabilities: np.ndarray, threshold: float) -> None:
    """Training questions on the wrong side of the threshold, with their features."""
    from retrieval.answerability import FEATURES

    for question, row, label, p in zip(questions, x, y, probabilities, strict=True):
        if (p >= threshold) != bool(label):
            values = " ".join(f"{n}={v:.2f}" for n, v in zip(FEATURES, row, strict=True))
            print(f"- p={p:.2f} label={label} {question['question']!r}: {values}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(TRAIN_QUESTIONS))
    parser.add_argument("--output", default=str(OUTPUT))
    parser.add_argument("--budget", type=float, default=0.05,
                        help="share of answerable questions the bot may decline (training, CV)")
    parser.add_argument("--kb", choices=("dev", "current"), default="dev",
                        help="dev: data/kb + ../shared/kb-sources asked on the dev date (default); "
                             "current: the knowledge base at BOT_DATA_DIR, asked today")
    parser.add_argument("--dry-run", action="store_true", help="do not write the model")
    parser.add_argument("--show", action="store_true",
                        help="list training questions the final model gets wrong")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sys.path.insert(0, str(ROOT / "scripts"))
    from eval_retrieval import SHARED, prepare, read

    from retrieval.answerability import FEATURES

    questions = read(Path(args.questions))
    answerable = sum(q.get("expected_doc") is not None for q in questions)
    if answerable < MIN_ANSWERABLE or len(questions) - answerable < MIN_UNANSWERABLE:
        sys.exit(f"Chưa đủ câu hỏi để huấn luyện: cần ít nhất {MIN_ANSWERABLE} câu có tài liệu trả "
                 f"lời và {MIN_UNANSWERABLE} câu không có; tệp có {answerable} và "
                 f"{len(questions) - answerable}.")
    if args.kb == "dev":
        prepare(ROOT / "var" / "eval" / "dev", [ROOT / "data" / "kb", SHARED / "kb-sources"])
        x, y, _ = collect(questions)
    else:
        x, y, _ = collect(questions, dt.date.today())
    print(f"training questions: {len(y)} ({int(y.sum())} answerable, {int((1 - y).sum())} not)")
    scores_by_c = {c: cross_validate(x, y, c, args.budget) for c in C_GRID}
    for c, values in scores_by_c.items():
        print(f"C={c}: 5x5-fold CV " + ", ".join(f"{k} {v:.3f}" for k, v in values.items()))
    c = max(C_GRID, key=lambda value: scores_by_c[value]["auc"])
    scores = scores_by_c[c]
    fitted = model(c).fit(x, y)
    result = {
        "features": list(FEATURES),
        "weights": {n: round(float(w), 4) for n, w in zip(FEATURES, fitted.coef_, strict=True)},
        "bias": round(fitted.intercept_, 4),
        "mean": {n: round(float(m), 4) for n, m in zip(FEATURES, fitted.mean_, strict=True)},
        "scale": {n: round(float(s), 4) for n, s in zip(FEATURES, fitted.scale_, strict=True)},
        "threshold": scores["threshold"],
        "fitted": {"date": dt.date.today().isoformat(), "questions": Path(args.questions).name,
                   "kb": args.kb, "n": len(y), "answerable": int(y.sum()), "c": c,
                   "budget": args.budget,
                   "cv_5x5": {k: round(v, 3) for k, v in scores.items()}},
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.show:
        show_errors(questions, x, y, fitted.predict_proba(x)[:, 1], scores["threshold"])
    if not args.dry_run:
        Path(args.output).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n",
                                     encoding="utf-8")
        print(f"written {args.output}")


if __name__ == "__main__":
    main()
