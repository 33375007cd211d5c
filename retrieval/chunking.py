"""Split a document into passages along its own structure, keeping the heading path.

Vietnamese official documents are built from Phần / Chương / Mục / Điều / khoản ("1.") /
điểm ("a)"); plans and announcements from "A." / "I." / "1." / "a)" / "-" items; uploaded
Markdown from "#" headings.  A passage that follows these boundaries can be cited exactly
("Chương II › Điều 5 › Khoản 2", "II. Nội dung › 1. Tuyên truyền"), which is what parents
trust.  Text extracted from PDFs is wrapped at the page width and OCR adds stray characters,
so lines are first re-joined into paragraphs and noise lines are dropped; sections longer than
`MAX_CHARS` are split at sentence boundaries with a little overlap, and fragments shorter than
`MIN_CHARS` are merged with their neighbours under the same parent so noise cannot turn into
thousands of tiny chunks.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from retrieval.normalize import fold
from retrieval.types import ChunkDraft

MAX_CHARS = 1200
MIN_CHARS = 150
OVERLAP_CHARS = 200
SEPARATOR = " › "
_LABEL_CHARS = 60

_LEGAL_RANK = {"phan": 0, "chuong": 1, "muc": 2, "dieu": 3}
_HEADING_TYPES = {"phan", "chuong", "muc", "dieu", "upper", "roman"}
_TITLE_AFTER_LABEL = {"phan", "chuong", "muc", "roman", "upper"}
_TERMINAL = tuple(".!?;:…")
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("phan", re.compile(r"^(?i:phần)\s+(thứ\s+\w+|[IVXLC]+|\d+)\b\.?\s*(.*)$")),
    ("chuong", re.compile(r"^(?i:chương)\s+([IVXLC]+|\d+)\b\.?\s*(.*)$")),
    ("muc", re.compile(r"^(?i:mục)\s+(\d+|[IVXLC]+)(?=[.:\s]|$)\.?\s*(.*)$")),
    ("dieu", re.compile(r"^(?i:điều)\s+(\d+[a-zđ]?)\s*(?:[.:]|\[\d+\]|,(?=\s*[A-ZĐ])|$)\s*(.*)$")),
    ("roman", re.compile(r"^(X{0,3}(?:IX|IV|V?I{0,3}))\s*[.)]\s*(\S.*)$")),
    ("upper", re.compile(r"^([A-HK-UWYZĐ])\.\s+(\S.*)$")),
    ("arabic2", re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\.?\s+(\S.*)$")),
    ("arabic", re.compile(r"^(\d{1,3})\s*[.)/](?!\d)(?:\[\d+\])?\s*(\S.*)$")),
    ("letter", re.compile(r"^([a-zđ])\s?\)(?:\[\d+\])?\s*(\S.*)$")),
]
_BULLET_RE = re.compile(r"^[-–—•+*∙●○▪]\s*\S")
_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
_RULE_RE = re.compile(r"^\s*(?:[-*_=~]\s*){3,}$|^\s*```")
_TABLE_SEPARATOR_RE = re.compile(r"^\s*\|?[\s:|-]*-[\s:|-]*\|?\s*$")
_BOILERPLATE = ("cong hoa xa hoi chu nghia viet nam", "doc lap - tu do - hanh phuc")


@dataclass
class SectionChunk(ChunkDraft):
    """A chunk draft plus the full headings above it (indexed for search, not shown)."""

    context: str = ""


@dataclass
class _Marker:
    type: str  # key of _PATTERNS, "md1".."md6"
    label: str  # "II", "5", "a", or the heading text of a markdown heading
    rest: str  # heading text after the label


@dataclass
class _Para:
    text: str
    marker: _Marker | None = None
    table: bool = False
    last_line: str = ""


@dataclass
class _Node:
    type: str
    label: str  # short label used in the section path
    heading: str  # full heading line, used as search context
    paras: list[str] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)
    path: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()

    def full_text(self) -> str:
        parts = ["\n".join(self.paras)] if self.paras else []
        parts += [child.full_text() for child in self.children]
        return "\n".join(p for p in parts if p)


@dataclass
class _Block:
    path: tuple[str, ...]
    headings: tuple[str, ...]
    text: str


def chunk_document(text: str, *, kind: str = "document") -> list[SectionChunk]:
    """Chunks of a document body; an FAQ answer (``kind="faq"``) is always one chunk."""
    paragraphs = _paragraphs(_clean_lines(text))
    if kind == "faq":
        answer = "\n".join(p.text for p in paragraphs).strip()
        return [SectionChunk(ordinal=0, text=answer)] if answer else []
    root = _tree(paragraphs)
    blocks = _blocks(root)
    return [
        SectionChunk(
            ordinal=i,
            text=b.text,
            section=SEPARATOR.join(b.path) or None,
            context=SEPARATOR.join(h for h in b.headings if h),
        )
        for i, b in enumerate(blocks)
        if b.text.strip()
    ]


def build_search_text(
    *,
    title: str,
    number: str | None,
    section: str | None,
    context: str,
    questions: list[str],
    text: str,
) -> str:
    """What the indexes see: title, number, heading path and FAQ variants above the text."""
    lines = [title, f"Số {number}" if number else "", context or section or "", *questions, text]
    return "\n".join(line for line in lines if line and line.strip())


# -- lines and paragraphs ------------------------------------------------------------------


def _clean_lines(text: str) -> list[tuple[str, bool]]:
    """Non-empty lines without Markdown noise; table rows as "a | b" with a True flag."""
    text = unicodedata.normalize("NFC", text).replace("\t", " ").replace("\u00a0", " ")
    out: list[tuple[str, bool]] = []
    for raw in text.splitlines():
        line = raw.strip().replace("**", "").replace("__", "")
        line = re.sub(r"^>\s?", "", line).strip()
        if not line or _RULE_RE.match(line) or re.fullmatch(r"\d{1,3}", line):
            continue
        if line.count(",") >= 3 and ", " not in line and len(line) < 300:  # a CSV row
            out.append((" | ".join(c.strip() for c in line.split(",")), True))
            continue
        if line.startswith("|") and line.count("|") >= 2:
            if _TABLE_SEPARATOR_RE.match(line):
                continue
            cells = [c.strip() for c in line.strip("|").split("|")]
            line = " | ".join(c for c in cells if c)
            if line:
                out.append((line, True))
            continue
        if _is_noise(line):
            continue
        out.append((re.sub(r"\s{2,}", " ", line), False))
    return out


def _is_noise(line: str) -> bool:
    visible = [c for c in line if not c.isspace()]
    alnum = sum(c.isalnum() for c in visible)
    if alnum == 0:
        return True
    if len(visible) < 40 and alnum / len(visible) < 0.5:
        return True
    folded = re.sub(r"[–—]", "-", fold(line)).strip(" .#*-|")
    return len(folded) < 60 and folded in _BOILERPLATE


def classify(line: str) -> _Marker | None:
    """The structural marker a line starts with, if any (markdown headings included)."""
    md = _MD_HEADING_RE.match(line)
    inner = md.group(2).strip() if md else line
    for kind, pattern in _PATTERNS:
        match = pattern.match(inner)
        if match and match.group(1):
            rest = (
                (match.group(2) or "").strip() if match.lastindex and match.lastindex >= 2 else ""
            )
            if kind == "upper" and len(inner) > 150:
                continue
            return _Marker(kind, match.group(1), rest)
    if md and inner:
        return _Marker(f"md{len(md.group(1))}", inner, "")
    return None


def _paragraphs(lines: list[tuple[str, bool]]) -> list[_Para]:
    paras: list[_Para] = []
    for line, table in lines:
        body = _MD_HEADING_RE.sub(r"\2", line) if not table else line
        marker = None if table else classify(line)
        prev = paras[-1] if paras else None
        if table or prev is None or prev.table:
            paras.append(_Para(body, marker, table, body))
            continue
        if marker is not None:
            absorb = (
                prev.marker is not None
                and prev.marker.type in _TITLE_AFTER_LABEL
                and not prev.marker.rest
                and marker.type.startswith("md")
            )
            if absorb:  # "## Chương I" + "## QUY ĐỊNH CHUNG"
                prev.marker.rest = body
                prev.text += " " + body
            else:
                paras.append(_Para(body, marker, False, body))
            continue
        if _BULLET_RE.match(body):
            paras.append(_Para(body, None, False, body))
            continue
        if _joins(prev, body):
            if prev.marker is not None and not prev.marker.rest:
                prev.marker.rest = body
            prev.text += " " + body
            prev.last_line = body
        else:
            paras.append(_Para(body, None, False, body))
    return paras


def _joins(prev: _Para, line: str) -> bool:
    """Whether `line` continues the wrapped paragraph `prev` (PDF and OCR line breaks)."""
    if prev.marker is not None and prev.marker.type in _TITLE_AFTER_LABEL and not prev.marker.rest:
        return True  # "Chương I" + "NHỮNG QUY ĐỊNH CHUNG"
    ended = prev.text.rstrip().endswith(_TERMINAL)
    starts_low = line[0].islower() or line[0].isdigit() or line[0] in "([“\"'"
    if prev.marker is not None and (
        prev.marker.type in _HEADING_TYPES or prev.marker.type.startswith("md")
    ):
        return starts_low and not ended
    if ended:
        return False
    return starts_low or len(prev.last_line) >= 60


# -- tree ------------------------------------------------------------------------------------


def _tree(paras: list[_Para]) -> _Node:
    root = _Node("root", "", "")
    stack = [root]
    for para in paras:
        marker = para.marker
        if marker is None:
            stack[-1].paras.append(para.text)
            continue
        _pop_for(stack, marker.type)
        parent = stack[-1]
        label = _label(marker, para.text, stack)
        node = _Node(
            marker.type,
            label,
            _shorten(para.text, 200),
            [para.text],
            path=parent.path + (label,),
            headings=parent.headings + (_shorten(para.text, 200),),
        )
        parent.children.append(node)
        stack.append(node)
    return root


def _pop_for(stack: list[_Node], kind: str) -> None:
    if kind in _LEGAL_RANK:
        rank = _LEGAL_RANK[kind]
        while len(stack) > 1 and (
            stack[-1].type not in _LEGAL_RANK or _LEGAL_RANK[stack[-1].type] >= rank
        ):
            stack.pop()
    elif kind.startswith("md"):
        level = int(kind[2:])
        while len(stack) > 1 and (
            (stack[-1].type.startswith("md") and int(stack[-1].type[2:]) >= level)
            or (stack[-1].type not in _LEGAL_RANK and not stack[-1].type.startswith("md"))
        ):
            stack.pop()
    elif any(node.type == kind for node in stack[1:]):
        while stack[-1].type != kind:
            stack.pop()
        stack.pop()


def _label(marker: _Marker, text: str, stack: list[_Node]) -> str:
    legal = next(
        (n.type for n in reversed(stack) if n.type in _LEGAL_RANK or n.type == "arabic"), None
    )
    if marker.type == "phan":
        return f"Phần {marker.label}"
    if marker.type == "chuong":
        return f"Chương {marker.label.upper()}"
    if marker.type == "muc":
        return f"Mục {marker.label}"
    if marker.type == "dieu":
        return f"Điều {marker.label}"
    if marker.type == "arabic" and legal == "dieu":
        return f"Khoản {marker.label}"
    if marker.type == "letter" and legal == "arabic" and any(n.type == "dieu" for n in stack):
        return f"Điểm {marker.label}"
    if marker.type.startswith("md"):
        return _shorten(marker.label, _LABEL_CHARS)
    head = re.split(r"(?<=\S)[:;.](?:\s|$)", text, maxsplit=1)[0] if marker.rest else text
    if marker.type in ("arabic", "arabic2", "roman", "upper", "letter"):
        # keep "1." / "a)" style but cut the heading at its first full stop or colon
        prefix_end = len(text) - len(marker.rest) if marker.rest else len(text)
        head = text[:prefix_end] + re.split(r"(?<=\S)[:;.](?:\s|$)", marker.rest, maxsplit=1)[0]
    return _shorten(head.strip(), _LABEL_CHARS)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


# -- blocks ----------------------------------------------------------------------------------


def _blocks(node: _Node) -> list[_Block]:
    full = node.full_text()
    if len(full) <= MAX_CHARS:
        return [_Block(node.path, node.headings, full)] if full.strip() else []
    out: list[_Block] = []
    if node.paras:
        out += [
            _Block(node.path, node.headings, piece) for piece in split_long("\n".join(node.paras))
        ]
    for child in node.children:
        out += _blocks(child)
    return _merge_small(out, depth=len(node.path))


def _merge_small(blocks: list[_Block], *, depth: int) -> list[_Block]:
    """Merge fragments under `MIN_CHARS` into a neighbour that hangs from the same parent.

    Blocks deeper than the parent's children (already merged one level down) are left alone,
    so the last khoản of one Điều never merges into the heading of the next Điều.
    """
    merged: list[_Block] = []
    for block in blocks:
        if merged:
            last = merged[-1]
            small = len(last.text) < MIN_CHARS or len(block.text) < MIN_CHARS
            direct = len(last.path) <= depth + 1 and len(block.path) <= depth + 1
            room = MAX_CHARS + (
                MIN_CHARS if min(len(last.text), len(block.text)) < MIN_CHARS else 0
            )
            if small and direct and len(last.text) + len(block.text) + 1 <= room:
                if len(last.text) < MIN_CHARS and block.path[: len(last.path)] == last.path:
                    # a bare heading ("Điều 5. Đối tượng") goes with its first child and the
                    # chunk is cited by what it mostly holds: "Điều 5 › Khoản 1"
                    path, headings = block.path, block.headings
                else:
                    path = _merged_path(last.path, block.path)
                    headings = last.headings[: len(_common(last.path, block.path))]
                merged[-1] = _Block(path, headings, last.text + "\n" + block.text)
                continue
        merged.append(block)
    return merged


def _merged_path(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """The path of two merged siblings: "Điều 1" + "Điều 2" -> "Điều 1 – Điều 2"."""
    common = _common(a, b)
    if len(a) > len(common) and len(b) > len(common):
        first = a[len(common)].split(" – ")[0]
        return common + (f"{first} – {b[len(common)]}",)
    return common


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    size = 0
    while size < min(len(a), len(b)) and a[size] == b[size]:
        size += 1
    return a[:size]


def split_long(text: str, limit: int = MAX_CHARS, overlap: int = OVERLAP_CHARS) -> list[str]:
    """Windows of at most `limit` characters cut at sentence ends, each repeating the tail of
    the previous one (at most `overlap` characters) so no sentence loses its context."""
    units: list[tuple[str, bool]] = []  # (sentence, starts a paragraph)
    for para in text.split("\n"):
        for i, sentence in enumerate(s for s in re.split(r"(?<=[.!?;…])\s+", para) if s.strip()):
            for j, piece in enumerate(_hard_split(sentence, limit)):
                units.append((piece, i == 0 and j == 0))
    windows: list[str] = []
    current: list[tuple[str, bool]] = []
    for unit in units:
        if current and len(_join(current + [unit])) > limit:
            windows.append(_join(current))
            tail: list[tuple[str, bool]] = []
            for previous in reversed(current):
                if len(_join([previous, *tail])) > overlap:
                    break
                tail.insert(0, previous)
            current = tail if len(_join(tail + [unit])) <= limit else []
        current.append(unit)
    if current:
        windows.append(_join(current))
    return windows


def _hard_split(sentence: str, limit: int) -> list[str]:
    if len(sentence) <= limit:
        return [sentence]
    pieces, current = [], ""
    for word in sentence.split(" "):
        if current and len(current) + 1 + len(word) > limit:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
        while len(current) > limit:  # a "word" longer than the limit (OCR junk)
            pieces.append(current[:limit])
            current = current[limit:]
    if current:
        pieces.append(current)
    return pieces


def _join(units: list[tuple[str, bool]]) -> str:
    out = ""
    for i, (text, new_para) in enumerate(units):
        out += text if i == 0 else ("\n" if new_para else " ") + text
    return out
