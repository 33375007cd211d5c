"""Grouping questions by meaning: tiny vectors, empty input, the threshold, the vector cache,
and the real e5 model on Vietnamese questions typed with and without diacritics."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from admin.clustering import QuestionVectors, cluster_vectors, group_texts, representative
from admin.settings import AdminSettings
from retrieval.bm25 import tokenize
from retrieval.diacritics import DiacriticRestorer

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_THRESHOLD = AdminSettings.model_fields["cluster_threshold"].default


def unit(*rows: list[float]) -> np.ndarray:
    matrix = np.asarray(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


class CountingEncoder:
    """Encodes each text as a fixed vector and records what it was asked to encode."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table
        self.calls: list[list[str]] = []

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return unit(*(self.table[text] for text in texts))


def test_empty_input_gives_no_groups() -> None:
    assert cluster_vectors(np.zeros((0, 4), dtype=np.float32), 0.9) == []


def test_one_question_is_a_group_of_one() -> None:
    assert cluster_vectors(unit([1, 0, 0]), 0.9) == [[0]]


def test_close_vectors_group_and_a_far_one_stays_alone() -> None:
    vectors = unit([1, 0.05, 0], [0, 0, 1], [1, 0, 0.05], [0.98, 0.1, 0])
    assert cluster_vectors(vectors, 0.9) == [[0, 2, 3], [1]]


def test_threshold_decides_how_close_is_close_enough() -> None:
    # Pairwise cosine similarities of about 0.8.
    vectors = unit([1, 0.5, 0], [1, -0.5, 0], [1, 0, 0.5])
    assert cluster_vectors(vectors, 0.95) == [[0], [1], [2]]
    assert cluster_vectors(vectors, 0.7) == [[0, 1, 2]]


def test_average_linkage_does_not_chain_far_ends_together() -> None:
    # a~b and b~c are similar (0.92), a and c much less (0.7): a chain, not one topic.
    angle = np.arccos(0.92)
    vectors = unit([1, 0], [np.cos(angle), np.sin(angle)], [np.cos(2 * angle), np.sin(2 * angle)])
    groups = cluster_vectors(vectors, 0.9)
    assert [0, 1, 2] not in groups and len(groups) == 2


def test_representative_is_the_member_closest_to_the_others() -> None:
    vectors = unit([1, 0.3, 0], [1, 0, 0], [1, -0.3, 0], [0, 0, 1])
    assert representative(vectors, [0, 1, 2]) == 1
    assert representative(vectors, [3]) == 3


def test_vectors_are_cached_by_text_so_only_new_questions_are_encoded() -> None:
    encoder = CountingEncoder({"a": [1, 0], "b": [0, 1], "c": [1, 1]})
    vectors = QuestionVectors(encoder)
    first = vectors.encode(["a", "b", "a"])
    second = vectors.encode(["b", "c"])
    assert encoder.calls == [["a", "b"], ["c"]]
    np.testing.assert_allclose(first[0], first[2])
    np.testing.assert_allclose(second[0], first[1])
    assert len(vectors) == 3


def test_cache_forgets_the_least_recently_used_vectors() -> None:
    encoder = CountingEncoder({"a": [1, 0], "b": [0, 1], "c": [1, 1]})
    vectors = QuestionVectors(encoder, capacity=2)
    vectors.encode(["a"])
    vectors.encode(["b"])
    vectors.encode(["c"])
    vectors.encode(["a"])
    assert encoder.calls == [["a"], ["b"], ["c"], ["a"]] and len(vectors) == 2


def test_group_texts_without_questions_encodes_nothing() -> None:
    encoder = CountingEncoder({})
    groups, matrix = group_texts([], vectors=QuestionVectors(encoder), threshold=0.9)
    assert groups == [] and matrix.shape[0] == 0 and encoder.calls == []


# The real model ----------------------------------------------------------------------------------

FEES = ["hoc phi bao nhieu", "học phí năm nay?", "tiền học kỳ này bao nhiêu", "tien hoc ky nay bao nhieu",
        "học phí năm nay bao nhiêu"]
TET = ["lịch nghỉ tết", "lich nghi tet", "nghỉ tết mấy ngày"]
UNIFORM = ["đồng phục", "dong phuc", "mua đồng phục ở đâu"]
CANTEEN = ["tiền ăn bán trú bao nhiêu", "tien an ban tru"]
OTHERS = ["trường có xe đưa đón không", "hội thi robot của xã khi nào"]


def _demo_kb_restorer() -> DiacriticRestorer:
    """The restorer an index of the demo knowledge base has (built from its document bodies)."""
    bodies = [re.sub(r"\A---\n.*?\n---\n", "", path.read_text(encoding="utf-8"), flags=re.S)
              for path in sorted((ROOT / "data" / "kb").rglob("*.md"))]
    return DiacriticRestorer.from_token_lists(tokenize(body) for body in bodies)


@pytest.fixture(scope="module")
def real_vectors() -> Iterator[QuestionVectors]:
    from retrieval.embeddings import get_embedder

    yield QuestionVectors(get_embedder())


def _topic_of(text: str) -> str:
    for name, texts in (("fees", FEES), ("tet", TET), ("uniform", UNIFORM), ("canteen", CANTEEN)):
        if text in texts:
            return name
    return text


@pytest.mark.slow
@pytest.mark.parametrize("threshold", [0.88, DEFAULT_THRESHOLD, 0.90])
def test_real_model_groups_vietnamese_questions_by_meaning(real_vectors: QuestionVectors, threshold: float) -> None:
    texts = FEES + TET + UNIFORM + CANTEEN + OTHERS
    groups, _ = group_texts(texts, vectors=real_vectors, threshold=threshold, restorer=_demo_kb_restorer())
    topics = [sorted({_topic_of(texts[i]) for i in group}) for group in groups]
    expected = [["fees"], ["tet"], ["uniform"], ["canteen"], [OTHERS[0]], [OTHERS[1]]]
    assert sorted(topics) == sorted(expected), [
        [texts[i] for i in group] for group in groups]


@pytest.mark.slow
def test_real_model_needs_the_restored_diacritics_for_accent_free_questions(real_vectors: QuestionVectors) -> None:
    """Why clustering restores diacritics: without it "hoc phi bao nhieu" leaves the fee group."""
    texts = FEES + TET + UNIFORM + ["giai boi loi hoc sinh"]
    with_restorer, _ = group_texts(texts, vectors=real_vectors, threshold=DEFAULT_THRESHOLD,
                                   restorer=_demo_kb_restorer())
    assert sorted(range(len(FEES))) in with_restorer
    without, _ = group_texts(texts, vectors=real_vectors, threshold=DEFAULT_THRESHOLD)
    fee_group = next(group for group in without if 1 in group)
    assert 0 not in fee_group
