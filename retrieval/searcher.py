"""From a question to ranked, filtered chunks and a calibrated confidence.

question → normalise → dense top-k (e5 embedding of the expanded question) and BM25 top-k
(accented + folded syllables, bigrams) → both scores for every candidate → fusion → drop what
must never be cited (documents not in force on the asker's date; retired ones are not in the
index at all) → prefer FAQ entries and announcements in force, and documents meant for the
asker's school and grade → confidence that the question is answerable at all, from evidence
about the best candidate (`retrieval.answerability`).

Validity: a document is used only between `valid_from` and `valid_until`.  An announcement
without `valid_until` expires at the end of the school year it belongs to (31 August; setting
`RETRIEVAL_ANNOUNCEMENT_VALIDITY=open` keeps such announcements in force indefinitely).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from retrieval import answerability, fusion, normalize, synonyms
from retrieval.bm25 import tokenize, top_k
from retrieval.diacritics import DiacriticRestorer
from retrieval.index import ChunkRecord, DocumentRecord, IndexSnapshot
from retrieval.schools import (
    LEVEL_GRADES,
    School,
    asked_schools,
    grade_set,
    school_grades,
    schools_in_name,
)
from retrieval.settings import RetrievalSettings
from retrieval.types import SearchContext


class QueryEncoder(Protocol):
    """What search needs from `retrieval.embeddings.Embedder`."""

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...


@dataclass
class Hit:
    """A candidate chunk with its document and the evidence for it."""

    chunk: ChunkRecord
    document: DocumentRecord
    score: float  # fused score plus preferences
    dense: float  # cosine similarity with the question
    lexical: float  # share of the question's BM25 weight the chunk covers, in [0, 1]
    audience: float = 0.0  # the part of `score` the asker's school and grade added


@dataclass
class SearchResult:
    """Chunks best first (already filtered), the confidence and what it was computed from."""

    hits: list[Hit]
    confidence: float
    query_tokens: list[str]
    features: dict[str, float] = field(default_factory=dict)

    def best_per_document(self) -> list[Hit]:
        """The best chunk of each document, best first."""
        seen: set[str] = set()
        best = []
        for hit in self.hits:
            if hit.document.id not in seen:
                seen.add(hit.document.id)
                best.append(hit)
        return best


# How parents address the page ("cho em hỏi ad", "ad ơi", "admin"), not what they ask about.
# The abbreviation list writes "ad" out as "quản trị viên" (what the dialogue model needs: "tôi
# muốn ad trả lời"), which search would then look for in every passage.
_ADDRESS = re.compile(r"(?<!\w)(?:ad|add|admin)(?!\w)", re.IGNORECASE)


def without_address(question: str) -> str:
    """The question without the words that address the page ("ad", "admin")."""
    stripped = _ADDRESS.sub(" ", question)
    return stripped if stripped.strip() else question


def dense_query_text(question: str, restorer: DiacriticRestorer | None = None) -> str:
    """What is embedded for a question: normalised, abbreviations written out, and syllables
    typed without diacritics given their most likely reading in the knowledge base."""
    if restorer is not None:
        tokens = tokenize(question)
        restored = restorer.restore(tokens)
        if restored != tokens:
            return " ".join(restored)
    return normalize.expand(question)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


_TITLE_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def school_year_end(issued: dt.date, settings: RetrievalSettings) -> dt.date:
    """The end of the school year a notice issued on `issued` belongs to.

    A school year ends on `school_year_end` (MM-DD, 31 August); a notice issued within
    `school_year_grace_days` before that end (a back-to-school notice in mid-August) belongs to
    the next school year.
    """
    month, day = (int(part) for part in settings.school_year_end.split("-"))
    end = dt.date(issued.year, month, day)
    while end < issued + dt.timedelta(days=settings.school_year_grace_days):
        end = dt.date(end.year + 1, month, day)
    return end


def valid_until(document: DocumentRecord, settings: RetrievalSettings | None = None
                ) -> dt.date | None:
    """The last day a document may be used: its `valid_until`, else for an announcement (when
    `announcement_validity` is "school_year") the end of the school year it belongs to, dated by
    `issued`, else `valid_from`, else the latest year its title names ("năm học 2024-2025")."""
    end = _date(document.valid_until)
    if end or settings is None or document.kind != "announcement":
        return end
    if settings.announcement_validity != "school_year":
        return None
    dated = _date(document.issued) or _date(document.valid_from)
    if dated is not None:
        return school_year_end(dated, settings)
    years = [int(year) for year in _TITLE_YEAR.findall(document.title)]
    if not years:
        return None
    month, day = (int(part) for part in settings.school_year_end.split("-"))
    return dt.date(max(years), month, day)


def in_force(document: DocumentRecord, today: dt.date,
             settings: RetrievalSettings | None = None) -> bool:
    """False before `valid_from` and after `valid_until` (see `valid_until` for the policy on
    announcements without an end date when `settings` are given)."""
    start, end = _date(document.valid_from), valid_until(document, settings)
    return not ((start and today < start) or (end and today > end))


def recent(document: DocumentRecord, today: dt.date, settings: RetrievalSettings) -> bool:
    """An out-of-force document a question may still be about: not valid yet, or expired
    within the last year (last year's enrolment, last Tết), not an archive from years ago."""
    start, end = _date(document.valid_from), valid_until(document, settings)
    return bool((start and today < start) or (end and (today - end).days <= 365))


def _school_key(value: str) -> str:
    return normalize.fold(value).removeprefix("truong ").strip()


def audience_match(wanted: str, offered: str, grade: bool) -> bool:
    """True when a document's audience (school or grade) includes the asker's."""
    if grade:
        return bool(grade_set(wanted) & grade_set(offered))
    return _school_key(wanted) == _school_key(offered)


def document_grades(document: DocumentRecord, belongs_to: frozenset[School] = frozenset()
                    ) -> str | None:
    """The grades a document is for: its own `grade`, else those of its school's level (a
    primary school's notice is for grades 1-5): its `school`, else the one level of the schools
    it belongs to (`belongs_to`, see `audience_preference`)."""
    if document.grade:
        return document.grade
    if document.school:
        return school_grades(document.school)
    levels = {level for level, _ in belongs_to}
    return LEVEL_GRADES.get(levels.pop()) if len(levels) == 1 else None


@functools.lru_cache(maxsize=256)
def _schools_named(name: str) -> frozenset[School]:
    return frozenset(schools_in_name(name))


def kind_preference(document: DocumentRecord, settings: RetrievalSettings) -> float:
    """Score added for FAQ entries and announcements (in force: the others are not hits)."""
    if document.kind == "faq":
        return settings.faq_boost
    return settings.announcement_boost if document.kind == "announcement" else 0.0


def audience_preference(document: DocumentRecord, context: SearchContext,
                        settings: RetrievalSettings, belongs_to: frozenset[School] = frozenset()
                        ) -> float:
    """Score added (or taken) for a document of the asker's school and grade.

    A document's school is its `school`, else the schools it belongs to (`belongs_to`: issuer,
    title, letterhead; see `IndexSnapshot.document_schools`), so a school's uploaded notice
    without metadata counts too."""
    bonus = 0.0
    matches = []
    if context.school:
        wanted = _schools_named(context.school)
        offered = _schools_named(document.school) if document.school else belongs_to
        if wanted and offered:  # "THCS Hòa An" is "Trường Trung học cơ sở Hòa An"
            matches.append(bool(wanted & offered))
        elif document.school:  # names that do not read as a level and a name
            matches.append(audience_match(context.school, document.school, False))
    if context.grade:
        offered = document_grades(document, belongs_to)
        if offered:
            matches.append(audience_match(context.grade, offered, True))
    for match in matches:
        bonus += settings.audience_boost if match else -settings.audience_penalty
    return bonus


class Searcher:
    """Searches one loaded index version."""

    def __init__(self, snapshot: IndexSnapshot, encoder: QueryEncoder,
                 settings: RetrievalSettings) -> None:
        self.snapshot = snapshot
        self.encoder = encoder
        self.settings = settings
        self._row = {int(chunk_id): row for row, chunk_id in enumerate(snapshot.bm25.ids())}
        self.model = answerability.load_model(
            Path(settings.answerability_model) if settings.answerability_model
            else answerability.MODEL_FILE)

    def search(self, question: str, context: SearchContext | None = None) -> SearchResult:
        context = context or SearchContext()
        today = context.today or dt.date.today()
        question = without_address(question)
        tokens = tokenize(question)
        if not tokens or not self.snapshot.chunks:
            return SearchResult([], 0.0, tokens)
        if not context.school:  # "lịch kiểm tra THCS Hòa An": that school's documents first
            context = dataclasses.replace(context, school=self._school_asked(tokens))
        # the question and its synonym variants ("phụ huynh" ~ "cha mẹ học sinh"), found once
        phrasings = [tokens, *synonyms.variants(tokens, synonyms.groups_for(self.settings.data_dir))]
        dense, lexical, dense_ranking, lexical_ranking = self._candidates(question, phrasings)
        settings = self.settings
        if settings.fusion == "dense":  # one-sided modes, for evaluation
            fused = [(i, fusion.scale(s, settings.dense_low, settings.dense_high))
                     for i, s in dense_ranking]
        elif settings.fusion == "bm25":
            fused = lexical_ranking
        elif settings.fusion == "rrf":
            fused = fusion.reciprocal_rank_fusion([dense_ranking, lexical_ranking])
            top = fused[0][1] if fused else 1.0
            fused = [(item, score / top) for item, score in fused]
        else:
            fused = fusion.score_mix(
                [(i, dense.get(i, 0.0)) for i in dense], list(lexical.items()),
                lexical_ceiling=1.0, dense_weight=settings.dense_weight,
                dense_low=settings.dense_low, dense_high=settings.dense_high)
        hits, shadow, shadow_doc = [], 0.0, None
        valid: dict[str, bool] = {}
        for chunk_id, score in fused:
            chunk = self.snapshot.chunks.get(chunk_id)
            document = self.snapshot.documents.get(chunk.doc_id) if chunk else None
            if chunk is None or document is None:
                continue
            if document.id not in valid:
                valid[document.id] = in_force(document, today, settings)
            audience = audience_preference(
                document, context, settings,
                self.snapshot.document_schools(document.id)
                if context.school or context.grade else frozenset())
            total = score + kind_preference(document, settings) + audience
            if not valid[document.id]:
                if recent(document, today, settings) and total > shadow:
                    shadow, shadow_doc = total, document
                continue
            hits.append(Hit(chunk, document, total, dense.get(chunk_id, 0.0),
                            lexical.get(chunk_id, 0.0), audience))
        hits.sort(key=lambda hit: (-hit.score, hit.chunk.id))
        result = SearchResult(hits, 0.0, tokens)
        if hits:
            evidence = answerability.Evidence(dense_ranking, lexical_ranking, shadow,
                                              settings.dense_low, settings.dense_high, question,
                                              shadow_doc)
            result.features = answerability.features(result, self.snapshot, evidence, phrasings)
            result.confidence = self.model.confidence(result.features)
        return result

    def _school_asked(self, tokens: list[str]) -> str | None:
        """The name of the one school of the knowledge base the question names, if any."""
        asked = asked_schools([normalize.fold(token) for token in tokens],
                              self.snapshot.school_names())
        labels = self.snapshot.school_labels()
        return labels.get(asked.pop()) if len(asked) == 1 else None

    def _lexical_shares(self, phrasings: list[list[str]]) -> np.ndarray:
        """Each chunk's BM25 share of the question (aligned with `bm25.ids()`), the best one of
        its `phrasings`: as typed and its synonym variants ("phụ huynh" ~ "cha mẹ học sinh")."""
        bm25 = self.snapshot.bm25
        best: np.ndarray | None = None
        for variant in phrasings:
            query = bm25.query_terms(variant)
            ceiling = bm25.max_score(query)
            shares = bm25.scores(query)
            if ceiling > 0:
                shares = shares / ceiling
            best = shares if best is None else np.maximum(best, shares)
        assert best is not None
        return best

    def _candidates(
        self, question: str, phrasings: list[list[str]]
    ) -> tuple[dict[int, float], dict[int, float], list[tuple[int, float]],
               list[tuple[int, float]]]:
        """Dense cosine and BM25 share of every candidate, and the two rankings."""
        snapshot, k = self.snapshot, self.settings.candidates
        text = dense_query_text(question, snapshot.restorer())
        vector = self.encoder.encode_queries([text])[0]
        dense_ids, dense_scores = snapshot.dense.search(vector, k)
        all_scores = self._lexical_shares(phrasings)
        lexical_ids, lexical_scores = top_k(snapshot.bm25.ids(), all_scores, k)
        dense_ranking = [(int(i), float(s)) for i, s in zip(dense_ids, dense_scores, strict=True)]
        lexical_ranking = [(int(i), float(s))
                           for i, s in zip(lexical_ids, lexical_scores, strict=True)]
        dense = dict(dense_ranking)
        lexical = dict(lexical_ranking)
        for chunk_id, _ in lexical_ranking:
            if chunk_id not in dense:
                dense[chunk_id] = float(np.dot(snapshot.dense.reconstruct(chunk_id), vector))
        for chunk_id, _ in dense_ranking:
            if chunk_id not in lexical and chunk_id in self._row:
                lexical[chunk_id] = float(all_scores[self._row[chunk_id]])
        return dense, lexical, dense_ranking, lexical_ranking
