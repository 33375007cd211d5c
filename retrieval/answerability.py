"""Should the bot answer at all?  Evidence features and a small logistic model over them.

Ranking finds the best passage for any question, even one the knowledge base cannot answer;
most unanswerable questions parents ask are near misses of real topics (another school, another
year, a neighbouring subject).  The decision therefore looks at what the best passage fails to
cover, not only at how similar it is:

- dense, dense_spread: cosine of the best chunk (scaled) and how far it stands out of the dense
  top ten (a flat similarity profile means nothing in particular matched);
- margin: how far the best document leads the next one in the fused score (without what the
  asker's school and grade added: they order the hits, they are no evidence of an answer);
- agreement: dense and BM25 put the same document first;
- chunk_cover, doc_cover: idf-weighted share of the question's content terms (accent-folded,
  abbreviations expanded, question words removed) in the best chunk with its title and
  section, and in its whole document.  These and the features below read the question in the
  phrasing of a synonym group its document uses, as BM25 does ("tết âm lịch" asked of a notice
  on "Tết Nguyên đán"; staff add groups in the admin web);
- phrase_miss: share of the question's syllable-pair weight its document never contains (the
  pairs carry the subject: "tuyển giáo viên", "ký túc xá", "phổ thông Hòa An");
- subject_miss: idf of the rarest question syllable its document lacks, relative to the
  rarest syllable of the question (conversation words left out): one specific word the
  document never uses ("tiếng Anh" asked of the kindergarten's notice) is enough to doubt it;
- unknown: share of the question's weight in terms no chunk at all contains;
- entity_miss: the question names a year, a grade ("lớp 10") or a school level that neither
  its document's text nor its title and audience (school, grades) mention, or a school
  ("THPT Hòa An") its document neither belongs to nor mentions while it belongs to another
  school or no document belongs to the one asked about (`retrieval.schools`), or a semester
  ("học kỳ 2", "hk2") when the document's title names only the other one, or a level as
  parents say it ("cấp 1") when the document belongs only to schools of other levels.  These
  are read in the question as typed, not in the synonym variant its document matched best
  ("cấp 1" for "tiểu học" is a variant, and "cấp" and "1" are in many notices).  Also when
  a document out of force matched nearly as well (`shadowed` > 0) and the question names a
  year or a semester its title names and the best document's title does not: the question
  asks about that document's period ("tuyển sinh lớp 1 năm 2026" after last summer's notice
  expired; the enrolment FAQ's text mentions 2026 in passing);
- shadowed: a document out of force (expired or not yet valid) matched about as well as the
  best document in force (1 when at least as well, 0 when 0.1 or more behind in fused score),
  so the question may well be about the period that document covers.  Not when the best is an
  FAQ entry: staff write those to answer exactly that ("when is next year's enrolment?"),
  unless the question names a year or a semester of the out-of-force document's title that
  the entry's title lacks ("tuyển sinh lớp 1 năm 2026" is about last summer's notice, "đăng
  ký bán trú học kỳ 2" about the second semester's, not yet in force);
- typed_plain: the question was typed without any diacritics.  Not evidence about the passage
  but about how far to trust the rest: an accent-free question matches its right passage with
  a lower cosine (the embedding model reads restored diacritics, some wrongly) and with less
  dense/BM25 agreement ("hoc" is học and hóc), so the same evidence means more for it.
  Without it, answered hit@5 on the dev set was 0.941 for accent-free questions against 0.991
  for accented ones (BENCHMARKS.md).

The weights, the feature standardisation and the decision threshold live in
`retrieval/answerability.json`, written by `scripts/fit_answerability.py` from a training
question set that is separate from the development set.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from retrieval.bm25 import FOLDED_TERMS, content_segments, terms, tokenize
from retrieval.fusion import logistic
from retrieval.normalize import fold, has_diacritics
from retrieval.schools import GRADED_LEVELS, LEVELS, asked_schools, class_grade, grade_set, schools_in_text

if TYPE_CHECKING:
    from retrieval.index import DocumentRecord, IndexSnapshot
    from retrieval.searcher import SearchResult

logger = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).with_name("answerability.json")
FEATURES = ("dense", "dense_spread", "margin", "agreement", "chunk_cover", "doc_cover",
            "phrase_miss", "subject_miss", "unknown", "entity_miss", "shadowed", "typed_plain")
# How each feature may move the answer/abstain model (`scripts/fit_answerability.py` fits the
# weights within these signs): coverage and agreement can only speak for an answer, a miss
# only against it.  Left free: `typed_plain`, which is no evidence but how far to trust the
# rest, and `dense_spread`, whose sign given the cosine itself is an empirical matter.  Without
# the signs the fit gave `phrase_miss` and `unknown` positive weights (they overlap with the
# cover features), so a question none of whose word pairs its document has looked surer.
DIRECTION = {"dense": 1, "dense_spread": 0, "margin": 1, "agreement": 1, "chunk_cover": 1,
             "doc_cover": 1, "phrase_miss": -1, "subject_miss": -1, "unknown": -1,
             "entity_miss": -1, "shadowed": -1, "typed_plain": 0}
_YEAR = re.compile(r"(?:19|20)\d\d")
_SCHOOL_YEAR = re.compile(r"(?:19|20)\d\d\s*[-–/]\s*(?:19|20)\d\d")  # "2026-2027"
Z_LIMIT = 3.0  # standardised features are clipped to ±Z_LIMIT (see Model.probability)
_SEMESTER = {"1": 1, "i": 1, "2": 2, "ii": 2}  # folded word after "kỳ"/"kì" -> semester
_LEVELS = ("mam_non", "tieu_hoc", "co_so", "pho_thong", "dai_hoc", "mau_giao")
# Levels as parents say them, as pair terms ("cap_2") -> the level key of `retrieval.schools`,
# which is also the pair term a document writing the level out contains ("co_so").
_SPOKEN_LEVELS = {phrase.replace(" ", "_"): level for phrase, level in LEVELS.items()
                  if phrase.startswith("cap ")}
# Grades each school level teaches (folded level term -> grades), for school-wide documents.
_LEVEL_GRADES = {level: grades for level, (grades, _) in GRADED_LEVELS.items()}
# The level teaching each grade, as a document writes it out ("7" -> "trung học cơ sở").
_GRADE_LEVEL = {str(grade): written for grades, written in GRADED_LEVELS.values()
                for grade in grades}
# Words of conversation that never name a subject (folded); left out of `subject_miss`.
_CHATTER = frozenset(
    "con chau be em anh chi minh toi ban nha oi vay nhe a cac nhung cua cho duoc phai thi la va "
    "voi o trong co khong nay do roi se da dang muon can nen hay hoi biet lam".split())


@dataclass(frozen=True)
class Evidence:
    """What the searcher knows beyond the ranked hits, for the features."""

    dense_ranking: list[tuple[int, float]]  # dense top-k (chunk id, cosine), best first
    lexical_ranking: list[tuple[int, float]]  # BM25 top-k (chunk id, share), best first
    shadow_score: float  # best fused score of a chunk whose document is out of force
    dense_low: float
    dense_high: float
    question: str = ""  # as the parent typed it
    shadow_doc: DocumentRecord | None = None  # the out-of-force document of `shadow_score`


def _scale(value: float, low: float, high: float) -> float:
    return min(1.0, max(0.0, (value - low) / (high - low))) if high > low else 0.0


def query_terms(tokens: list[str]) -> list[str]:
    """Folded content terms of a question: syllables and syllable pairs, question words out."""
    found = [term for segment in content_segments(tokens) for term in terms(segment, FOLDED_TERMS)]
    return list(dict.fromkeys(found))


def entities(query: list[str]) -> list[str]:
    """Terms that pin a question down: years, grades ("lop_10"), school levels."""
    found = []
    for term in query:
        bare = term.removeprefix("~")
        if _YEAR.fullmatch(bare) or bare in _LEVELS or _grade_term(bare):
            found.append(term)
    return found


def _grade_term(term: str) -> str | None:
    """A grade pair term as a document's would read ("lop_8a", a class, -> "lop_8"), else None."""
    word, _, after = term.partition("_")
    grade = class_grade(after) if word in ("lop", "khoi") else None
    return f"{word}_{grade}" if grade else None


def _share(query: list[str], present: frozenset[str] | set[str], idf: Mapping[str, float]) -> float:
    total = sum(idf[t] for t in query)
    return sum(idf[t] for t in query if t in present) / total if total else 0.0


def _top_doc(ranking: list[tuple[int, float]], snapshot: IndexSnapshot) -> str | None:
    for chunk_id, _ in ranking:
        chunk = snapshot.chunks.get(chunk_id)
        if chunk is not None:
            return chunk.doc_id
    return None


def features(result: SearchResult, snapshot: IndexSnapshot, evidence: Evidence,
             phrasings: Sequence[Sequence[str]] = ()) -> dict[str, float]:
    """The answerability features of a search result (see the module docstring); {} when empty.

    The question's words are measured in whichever of its `phrasings` (the question and its
    synonym variants, as BM25 scored them) its document uses most ("tết âm lịch" asked of a
    notice on "Tết Nguyên đán")."""
    if not result.hits:
        return {}
    best = result.hits[0]
    bm25 = snapshot.bm25
    local = set(terms(best.chunk.tokens, FOLDED_TERMS))
    local.update(terms(tokenize(f"{best.document.title} {best.chunk.section or ''}"), FOLDED_TERMS))
    document = snapshot.document_terms(best.document.id) | local
    phrasings = list(phrasings or [result.query_tokens])
    variants = [*phrasings, *level_phrasings(phrasings, document)]
    query = max((query_terms(list(variant)) for variant in variants),
                key=lambda query: sum(term in document for term in query) / max(len(query), 1))
    idf = {term: bm25.idf(term) for term in query}
    frequency = bm25.document_frequency()
    pairs = [term for term in query if "_" in term]
    # the lead in evidence: what the asker's school and grade added orders the hits, it says
    # nothing about whether the best one answers
    others = [hit.score - hit.audience for hit in result.hits
              if hit.document.id != best.document.id]
    cosines = [score for _, score in evidence.dense_ranking[:10]]
    dense_top = _top_doc(evidence.dense_ranking, snapshot)
    lexical_top = _top_doc(evidence.lexical_ranking, snapshot)
    asked = query_terms(list(result.query_tokens))
    shadowed = (min(1.0, max(0.0, 1.0 + (evidence.shadow_score - best.score) / 0.1))
                if evidence.shadow_score > 0 else 0.0)
    return {
        "dense": _scale(best.dense, evidence.dense_low, evidence.dense_high),
        "dense_spread": _scale(cosines[0] - float(np.mean(cosines)), 0.0, 0.1) if cosines else 0.0,
        "margin": max(0.0, best.score - best.audience - max(others, default=0.0)),
        "agreement": float(dense_top == lexical_top == best.document.id),
        "chunk_cover": _share(query, local, idf),
        "doc_cover": _share(query, document, idf),
        "phrase_miss": 1.0 - _share(pairs, document, idf) if pairs else 0.0,
        "subject_miss": _subject_miss(query, document, idf),
        "unknown": 1.0 - _share(query, {t for t in query if frequency.get(t)}, idf),
        # the years, grades and levels of the question as typed: a synonym variant may trade
        # "tiểu học" for "cấp 1", which is not one (and the exam notice of the THCS has "cấp")
        "entity_miss": max(_entity_miss(asked, document, best.document),
                           _semester_miss(result.query_tokens, best.document.title),
                           _school_miss(result.query_tokens, evidence.question, best.document.id,
                                        snapshot),
                           _spoken_level_miss(asked, document, best.document.id, snapshot),
                           float(shadowed > 0 and _names_their_period(best.document, evidence))),
        "shadowed": shadowed if not _answers_for_now(best.document, evidence) else 0.0,
        "typed_plain": float(not has_diacritics(evidence.question)),
    }


def level_phrasings(phrasings: Sequence[Sequence[str]], document: frozenset[str] | set[str]
                    ) -> list[list[str]]:
    """The phrasings with a grade `document` never names read as the level teaching it ("học
    phí lớp 7" -> "học phí trung học cơ sở"): a document for a whole level answers for each of
    its grades without naming them (the fee FAQ's "học sinh tiểu học, trung học cơ sở").
    For the features only: whether the document says the grade itself is `entity_miss`'s
    matter, and BM25 keeps the grade as asked (read as the level there, it ranked the level's
    other documents above the one naming the grade)."""
    found = []
    for tokens in phrasings:
        folded = [fold(token) for token in tokens]
        for i, (word, grade) in enumerate(itertools.pairwise(folded)):
            level = _GRADE_LEVEL.get(grade) if word in ("lop", "khoi") else None
            if level and f"{word}_{grade}" not in document:
                found.append([*tokens[:i], *level.split(), *tokens[i + 2:]])
    return found


def _names_their_period(best: DocumentRecord, evidence: Evidence) -> bool:
    """The question names a year or a semester that the out-of-force document's title names
    and the best document's title does not ("tuyển sinh lớp 1 năm 2026" with last summer's
    enrolment notice expired, "đăng ký bán trú học kỳ 2" before the second semester's notice):
    it asks about that document's period, which the best one does not cover.  A year alone
    is a calendar year, which a school year's title does not cover: "tết 2026" is the Tết of
    the expired "Tết Nguyên đán Bính Ngọ 2026" notice, not of "năm học 2026-2027"."""
    if evidence.shadow_doc is None:
        return False
    tokens, title = tokenize(evidence.question), evidence.shadow_doc.title
    years = {token for token in tokens if _YEAR.fullmatch(token)}
    then = set(_YEAR.findall(title)) - set(_YEAR.findall(best.title))
    lone = _lone_years(evidence.question) & (_lone_years(title) - _lone_years(best.title))
    then_semesters = semesters(tokenize(title)) - semesters(tokenize(best.title))
    return bool(years & then or lone or semesters(tokens) & then_semesters)


def _lone_years(text: str) -> set[str]:
    """Years a text names alone, not as a school year ("tết 2026", not "năm học 2026-2027")."""
    return set(_YEAR.findall(_SCHOOL_YEAR.sub(" ", text)))


def _answers_for_now(best: DocumentRecord, evidence: Evidence) -> bool:
    """An FAQ entry is not shadowed by an out-of-force document: staff write it to answer for
    now ("when is next year's enrolment?"), unless the question names a year or a semester of
    that document's title the entry's title lacks ("tuyển sinh lớp 1 năm 2026": last year's
    notice; "đăng ký bán trú học kỳ 2": the second semester's notice, not yet in force)."""
    if best.kind != "faq":
        return False
    return not _names_their_period(best, evidence)


def _subject_miss(query: list[str], document: frozenset[str] | set[str],
                  idf: Mapping[str, float]) -> float:
    words = [t for t in query if "_" not in t and t.removeprefix("~") not in _CHATTER]
    if not words:
        return 0.0
    rarest = max(idf[t] for t in words)
    missing = [idf[t] for t in words if t not in document]
    return max(missing) / rarest if missing and rarest > 0 else 0.0


def _entity_miss(query: list[str], document: frozenset[str] | set[str],
                 record: DocumentRecord) -> float:
    named = entities(query)
    if not named:
        return 0.0
    audience = set(terms(tokenize(f"{record.school or ''} {record.grade or ''}"), FOLDED_TERMS))
    if record.grade:
        audience.update(f"lop_{grade}" for grade in grade_set(record.grade))
    else:  # a document for a whole level speaks to each of its grades: "lớp 3" at a primary
        # school's notice, "lớp 6" in the fee FAQ whose text names "trung học cơ sở"
        named_by = audience | set(terms(tokenize(record.title), FOLDED_TERMS)) | set(document)
        for level, grades in _LEVEL_GRADES.items():
            if level in named_by:
                audience.update(f"{word}_{grade}" for grade in grades for word in ("lop", "khoi"))
    spoken = {level: term for term, level in _SPOKEN_LEVELS.items()}  # "tieu_hoc" -> "cap_1"
    def covered(term: str) -> bool:  # a class ("lớp 8A") is covered where its grade is
        forms = {term, _grade_term(term) or term}
        return any(form in document or form in audience for form in forms)

    return float(any(not covered(term) and spoken.get(term.removeprefix("~")) not in document
                     for term in named))


def _spoken_level_miss(query: list[str], document: frozenset[str] | set[str], doc_id: str,
                       snapshot: IndexSnapshot) -> float:
    """1 when the question names a level as parents say it ("cấp 1") and its document belongs
    only to schools of other levels without naming that one ("kiểm tra cuối kỳ cấp 1" asked of
    the THCS's exam notice).  Unlike a level written out ("tiểu học", `_entity_miss`), a
    document for everyone need not name it: "cấp 2" is rarely how a decree or an FAQ says it."""
    asked = {_SPOKEN_LEVELS[term.removeprefix("~")] for term in query
             if term.removeprefix("~") in _SPOKEN_LEVELS}
    owners = {level for level, _ in snapshot.document_schools(doc_id)}
    return float(bool(owners) and any(level not in owners and level not in document
                                      for level in asked))


def semesters(tokens: list[str]) -> set[int]:
    """Semesters named by syllables ("học kỳ 2", "hk1", "cuối kì II") -> {2}, {1}, {2}."""
    folded = [fold(token) for token in tokens]
    return {_SEMESTER[after] for word, after in itertools.pairwise(folded)
            if word in ("ky", "ki") and after in _SEMESTER}


def _semester_miss(tokens: list[str], title: str) -> float:
    """1 when the question names a semester and its document's title names only the other one
    ("đăng ký bán trú học kỳ 2" asked of the first semester's notice)."""
    asked, covered = semesters(tokens), semesters(tokenize(title))
    return float(bool(asked and covered and not asked & covered))


def _school_miss(tokens: list[str], question: str, doc_id: str, snapshot: IndexSnapshot
                 ) -> float:
    """1 when the question names a school ("thpt hoa an") its document neither belongs to nor
    mentions, and the document belongs to another school, or no document belongs to the one
    asked about (the knowledge base has nothing from "THPT Hòa An": a notice of another high
    school, however alike, does not answer for it)."""
    asked = asked_schools([fold(token) for token in tokens], snapshot.school_names())
    bare = schools_in_text(question, bare=True)  # typed with capitals: any name, known or not
    asked |= bare
    if not asked:
        return 0.0
    own = snapshot.document_schools(doc_id)
    if asked & (own | snapshot.school_mentions(doc_id)):
        return 0.0
    # written alike, in a table maybe ("PT DTNT THPT An Giang Giám khảo": what follows a name
    # in capitals is read as part of it; a name of two syllables or more, "An" is not one)
    if any(level == other and (name == written or " " in name and written.startswith(f"{name} "))
           for level, name in bare for other, written in snapshot.school_mentions(doc_id, bare=True)):
        return 0.0
    unknown = asked - snapshot.owned_schools()
    return float(bool(own or unknown))


@dataclass(frozen=True)
class Model:
    """Logistic regression on standardised features; `threshold` is the answer/abstain cut."""

    weights: dict[str, float]
    bias: float
    mean: dict[str, float]
    scale: dict[str, float]
    threshold: float

    def probability(self, values: Mapping[str, float]) -> float:
        """Probability that the question is answerable from the best document.

        Standardised features are clipped to ±`Z_LIMIT`: a knowledge base unlike the training
        one (a new commune with five documents) gives values far outside the training range,
        and a linear model must not let one of them outvote all the others.
        """
        total = self.bias
        for name, weight in self.weights.items():
            spread = self.scale.get(name) or 1.0
            z = (values.get(name, 0.0) - self.mean.get(name, 0.0)) / spread
            total += weight * min(Z_LIMIT, max(-Z_LIMIT, z))
        return logistic(total)

    def confidence(self, values: Mapping[str, float]) -> float:
        """The probability mapped so that this model's threshold lands on 0.5.

        The bot abstains below `RetrievalSettings.confidence_threshold` (0.5 by default), so a
        refit that moves the operating point does not need a settings change.

        A best document that misses what the question pins down (`entity_miss` 1: another
        year, grade, level, school or semester, or the period of a notice out of force) is
        halved, below one half: a linear model weighs that against how similar the rest is,
        and a close match on the rest is exactly the near miss ("điểm chuẩn lớp 10 năm 2026"
        answered from the 2024 results at 0.58).
        """
        p = min(max(self.probability(values), 1e-9), 1 - 1e-9)
        t = min(max(self.threshold, 1e-9), 1 - 1e-9)
        logit = math.log(p / (1 - p)) - math.log(t / (1 - t))
        return logistic(logit) / (2.0 if values.get("entity_miss", 0.0) >= 1.0 else 1.0)

    def to_json(self) -> dict[str, object]:
        return {"features": list(self.weights), "weights": self.weights, "bias": self.bias,
                "mean": self.mean, "scale": self.scale, "threshold": self.threshold}


def parse_model(data: Mapping[str, object]) -> Model:
    """A model from the JSON written by `scripts/fit_answerability.py`."""
    def floats(key: str) -> dict[str, float]:
        value = data.get(key, {})
        assert isinstance(value, dict)
        return {str(k): float(v) for k, v in value.items()}

    weights = floats("weights")
    unknown = set(weights) - set(FEATURES)
    if unknown:
        raise ValueError(f"answerability model names unknown features: {sorted(unknown)}")
    return Model(weights=weights, bias=float(data["bias"]),  # type: ignore[arg-type]
                 mean=floats("mean"), scale=floats("scale"),
                 threshold=float(data.get("threshold", 0.5)))  # type: ignore[arg-type]


@functools.lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> Model:
    """The fitted model (cached per path)."""
    return parse_model(json.loads(path.read_text(encoding="utf-8")))
