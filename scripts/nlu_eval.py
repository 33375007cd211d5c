"""Evaluate the Vietnamese NLU model and print a markdown section for BENCHMARKS.md.

The held-out test set (tests/nlu/nlu_test.yml, written apart from data/nlu) is evaluated as written
and as an accent-folded copy, because parents often type without diacritics: the two weighted F1
scores should be close.  `--compare` also reproduces the design measurement: normalisation in the
pipeline (`bot.components.VietnameseNormalizer`) against normalisation by training-data
augmentation (`scripts/nlu_augment.py`, no normaliser in the pipeline).

Runs under .venv-rasa (Python 3.10, standard library + `retrieval.normalize`), calling the `rasa`
command line next to the interpreter:
    PYTHONPATH=. .venv-rasa/bin/python scripts/nlu_eval.py [--model models/edubot.tar.gz]
    PYTHONPATH=. .venv-rasa/bin/python scripts/nlu_eval.py --train        # NLU-only model first
    PYTHONPATH=. .venv-rasa/bin/python scripts/nlu_eval.py --compare      # both designs
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval import normalize  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
import nlu_augment  # noqa: E402

RASA = str(Path(sys.executable).with_name("rasa"))
TEST_FILE = ROOT / "tests" / "nlu" / "nlu_test.yml"
WORK = ROOT / "var" / "nlu-eval"
_EXAMPLE_RE = re.compile(r"^(\s{4,}-\s)(.+)$")
_NORMALIZER_RE = re.compile(r"^(\s*)-\s*name:\s*bot\.components\.VietnameseNormalizer\s*$")


def _run(args: list[str], log: Path) -> float:
    """Run one rasa command with its output in `log`; returns seconds; raises on failure."""
    # RASA_MAX_CACHE_SIZE=0: no training cache, so the training times compare like with like.
    env = dict(os.environ, PYTHONPATH=str(ROOT), RASA_MAX_CACHE_SIZE="0")
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as handle:
        code = subprocess.call(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    if code != 0:
        raise SystemExit(f"{' '.join(args)} failed ({code}); see {log}")
    return time.monotonic() - started


def folded_copy(source: Path, target: Path) -> Path:
    """Write `source` NLU YAML with every example accent-folded."""
    lines = []
    for line in source.read_text(encoding="utf-8").splitlines():
        match = _EXAMPLE_RE.match(line)
        lines.append(match.group(1) + normalize.fold(match.group(2)) if match else line)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def config_without_normalizer(source: Path, target: Path) -> Path:
    """Write `source` config with the VietnameseNormalizer pipeline entry removed."""
    out: list[str] = []
    skip_indent: int | None = None
    for line in source.read_text(encoding="utf-8").splitlines():
        if skip_indent is not None:
            indent = len(line) - len(line.lstrip())
            if line.strip() and indent > skip_indent and not line.lstrip().startswith("-"):
                continue
            skip_indent = None
        match = _NORMALIZER_RE.match(line)
        if match:
            skip_indent = len(match.group(1))
            continue
        out.append(line)
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    return target


def train_nlu(config: Path, nlu: Path, name: str) -> tuple[Path, float]:
    """Train an NLU-only model; returns its path and the training time in seconds."""
    seconds = _run([RASA, "train", "nlu", "--config", str(config), "--nlu", str(nlu),
                    "--out", str(WORK), "--fixed-model-name", name], WORK / f"train-{name}.log")
    return WORK / f"{name}.tar.gz", seconds


def evaluate(model: Path, test_file: Path, name: str) -> dict:
    """`rasa test nlu` on one file; returns the parsed intent report."""
    out = WORK / f"results-{name}"
    shutil.rmtree(out, ignore_errors=True)
    _run([RASA, "test", "nlu", "--model", str(model), "--nlu", str(test_file), "--out", str(out)],
         WORK / f"test-{name}.log")
    return json.loads((out / "intent_report.json").read_text(encoding="utf-8"))


def _f1(report: dict, key: str = "weighted avg") -> float:
    return float(report.get(key, {}).get("f1-score", 0.0))


def model_section(name: str, accented: dict, folded: dict) -> str:
    """Markdown: weighted F1 on both forms and the per-intent table."""
    gap = _f1(accented) - _f1(folded)
    lines = [
        f"Model: `{name}`; test set `tests/nlu/nlu_test.yml` "
        f"({int(accented['weighted avg']['support'])} examples, held out from training).",
        "",
        "| test set | weighted F1 | accuracy |",
        "|---|---|---|",
        f"| as written (accented, mixed) | {_f1(accented):.3f} | {accented['accuracy']:.3f} |",
        f"| accent-folded copy | {_f1(folded):.3f} | {folded['accuracy']:.3f} |",
        "",
        f"Gap accented − folded: {gap:+.3f}.",
        "",
        "| intent | support | F1 accented | F1 folded |",
        "|---|---|---|---|",
    ]
    intents = sorted(k for k, v in accented.items() if isinstance(v, dict) and "support" in v
                     and k not in {"macro avg", "weighted avg", "micro avg"})
    for intent in intents:
        lines.append(f"| {intent} | {accented[intent]['support']} | "
                     f"{_f1(accented, intent):.3f} | {_f1(folded, intent):.3f} |")
    return "\n".join(lines)


def compare(config: Path) -> str:
    """Train and evaluate both designs; markdown comparison table."""
    folded_test = folded_copy(TEST_FILE, WORK / "nlu_test_folded.yml")
    aug_data = WORK / "augmentation-data"
    shutil.rmtree(aug_data, ignore_errors=True)
    aug_data.mkdir(parents=True)
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        shutil.copy(path, aug_data / path.name)
    nlu_augment.main([str(aug_data / "generated_augmented.yml"),
                      *[str(p) for p in sorted((ROOT / "data" / "nlu").glob("*.yml"))]])
    plain_config = config_without_normalizer(config, WORK / "config-plain.yml")
    both_config = WORK / "config-accented-and-folded.yml"
    both_config.write_text(config.read_text(encoding="utf-8").replace(
        "mode: folded", "mode: accented_and_folded"), encoding="utf-8")
    variants = {
        "component, folded tokens (chosen)": (config, ROOT / "data" / "nlu"),
        "component, accented + folded tokens": (both_config, ROOT / "data" / "nlu"),
        "augmentation (folded + abbreviated copies)": (plain_config, aug_data),
        "no normalisation (baseline)": (plain_config, ROOT / "data" / "nlu"),
    }
    rows = ["| design | training examples | train time (s) | F1 accented | F1 folded | gap |",
            "|---|---|---|---|---|---|"]
    for index, (name, (variant_config, data)) in enumerate(variants.items()):
        count = sum(len(v) for f in sorted(Path(data).glob("*.yml"))
                    for v in nlu_augment.read_examples([f]).values())
        model, seconds = train_nlu(variant_config, data, f"nlu-variant{index}")
        accented = evaluate(model, TEST_FILE, f"variant{index}-accented")
        folded = evaluate(model, folded_test, f"variant{index}-folded")
        rows.append(f"| {name} | {count} | {seconds:.0f} | {_f1(accented):.3f} | "
                    f"{_f1(folded):.3f} | {_f1(accented) - _f1(folded):+.3f} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "edubot.tar.gz")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--train", action="store_true", help="train an NLU-only model first")
    parser.add_argument("--compare", action="store_true",
                        help="also measure normaliser component against data augmentation")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)

    sections = ["## NLU (Rasa, Vietnamese intents)", ""]
    model = args.model
    if args.train:
        model, seconds = train_nlu(args.config, ROOT / "data" / "nlu", "nlu-main")
        sections += [f"NLU training time: {seconds:.0f} s ({os.cpu_count()} CPU cores).", ""]
    accented = evaluate(model, TEST_FILE, "main-accented")
    folded = evaluate(model, folded_copy(TEST_FILE, WORK / "nlu_test_folded.yml"), "main-folded")
    sections.append(model_section(model.name, accented, folded))
    if args.compare:
        sections += ["", "### Normalisation: pipeline component vs training-data augmentation", "",
                     compare(args.config)]
    print("\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
