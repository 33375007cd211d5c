"""What a question asks for ("bao giờ", "bao nhiêu tiền", "mấy quyển", "ở đâu", "sđt", "là ai")
and how a sentence that gives it looks.

Answer composition (`retrieval.answer`) uses it to pick the chunk that gives what is asked and
the quote (`retrieval.quote`) to keep the sentence with the date, amount, count, place, phone
number or name, which rarely repeats the question's words ("Thời gian: 7 giờ 30, ngày
23/01/2027").  Questions come as tokens (`retrieval.bm25.tokenize`) and are matched folded, so
"bao gio" and "bao giờ" ask alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from retrieval.normalize import fold

# Vietnamese capital and small letters, for names ("Nguyễn Thị Mai").
_UPPER = "".join(c for c in map(chr, range(0x41, 0x1EFA)) if c.isupper() and c.isalpha())
_LOWER = "".join(c for c in map(chr, range(0x61, 0x1EFA)) if c.islower() and c.isalpha())
# A sum of money as documents write it ("220.000 đồng", "30 nghìn"), or none to pay ("miễn phí",
# "không thu"; not "không thu tiền mặt", which says how to pay, nor "không thu hồi/nhận").
_SUM = r"\d[\d.,]* ?(?:đồng|nghìn|ngàn|triệu|k\b)"
_FREE = r"\bmiễn\b|không thu\b(?! tiền mặt| hồi| nhận)"
# What a question asks for (folded phrases of its words) and how a sentence that gives it looks.
_ASKS = {
    "when": (("bao gio", "khi nao", "luc nao", "ngay nao", "hom nao", "may gio", "thu may",
              "thoi gian", "han chot", "han cuoi", "han nop", "han dong", "het han", "den ngay",
              "lich thi", "lich kiem tra", "lich hoc",
              "lich nghi", "lich hop", "lich tiem", "lich kham", "lich the nao", "lich nhu the nao",
              "lich ra sao", "xem lich", "ngay may", "thang may", "tuan nao"),
             re.compile(r"\d{1,2}/\d{1,2}|\b\d{1,2} ?(?:giờ|h)\b|\bngày \d|\btháng \d|"
                        r"\bthứ (?:hai|ba|tư|năm|sáu|bảy|\d)|chủ nhật|hằng ngày|hàng tuần",
                        re.IGNORECASE)),
    "amount": (("bao nhieu", "may tien", "gia bao", "muc thu", "muc phi", "het bao", "mat tien",
                "mat phi", "ton tien", "tra tien", "thu tien", "dong tien", "nop tien",
                "mien phi"),
               re.compile(rf"{_SUM}|\d[\d.,]* ?%|{_FREE}", re.IGNORECASE)),
    "where": (("o dau", "cho nao", "noi nao", "dia diem", "tai dau"),
              re.compile(r"\btại\b|\bđịa điểm\b|\bphòng\b|\bthôn\b|\bđiểm\b|\bsố nhà\b|"
                         r"\bcửa hàng\b|\bchợ\b|\bnhà văn hóa\b|\btrụ sở\b|\bsân\b",
                         re.IGNORECASE)),
    # how to sign up: the sentence that says where or through whom ("Đăng ký qua giáo viên
    # chủ nhiệm") shares only "đăng ký" with the question, and the chunk's subject outweighs it
    "register": (("dang ky sao", "dang ky the nao", "dang ky nhu the nao", "dang ky ra sao",
                  "dang ky bang cach nao", "cach dang ky", "thu tuc dang ky", "dang ky voi ai",
                  "dang ky qua dau", "dang ky o dau"),
                 re.compile(r"\bđăng k[ýí]\b", re.IGNORECASE)),
    "phone": (("so dien thoai", "so dt", "sdt", "dien thoai lien he", "hotline", "so lien he",
               "so zalo"),
              # 0 or +84, then 9-10 digits grouped by single spaces, dots or dashes.
              re.compile(r"(?<![\d.,])(?:\+84|0)(?:[ .-]?\d){9,10}(?![\d.,]\d|\d)")),
    "person": (("la ai", "ten gi", "ten la gi", "ai phu trach", "ai day", "ai chu nhiem",
                "thay nao", "co nao", "thay co nao", "giao vien nao"),
               # A title before a capitalised name, or a full name of three capitalised words.
               re.compile(rf"\b(?:[Tt]hầy|[Cc]ô|[Ôô]ng|[Bb]à|[Đđ]ồng chí|[Đđ]/c)\s+[{_UPPER}]|"
                          rf"(?:\b[{_UPPER}][{_LOWER}]+ ){{2}}[{_UPPER}][{_LOWER}]+\b")),
}
# How or where, anywhere after "đăng ký" and what is signed up for ("đăng ký xe đưa đón ở đâu",
# "đăng ký bán trú học kỳ 2 như thế nào"): the question asks how to sign up, as "register".
_HOW_OR_WHERE = ("o dau", "cho nao", "tai dau", "qua dau", "the nao", "ra sao", "bang cach nao",
                 "voi ai")
# A question asking how many of something ("bao nhiêu học sinh", "mấy tiết", "tối đa mấy câu
# lạc bộ") wants a sentence with a number of that thing ("45 học sinh", "02 câu lạc bộ").
_COUNT_UNITS = ("hoc sinh", "lop", "truong", "diem truong", "cho", "phut", "tiet", "buoi", "ngay",
                "tuan", "thang", "lan", "diem", "to hop", "mon", "cau lac bo", "quyen", "dau sach",
                "kg", "giao vien", "tre", "chau", "nhom", "ma de", "tu", "phong", "chuyen")
_COUNT_ASK = re.compile(r"\b(?:bao nhieu|bn|may|toi da|toi thieu|it nhat) (?:bao nhieu |may )?("
                        + "|".join(sorted(_COUNT_UNITS, key=len, reverse=True)) + r")\b")
# A question about a price ("giá bao nhiêu", "học phí bn", "hết bao nhiêu tiền", not a percentage)
# wants a sum of money (`MONEY`; see `retrieval.answer.PRICE_MARGIN`).
_PRICE_WORDS = re.compile(r"\b(?:tien|gia bao|gia bn|gia la|gia mot|gia 1|hoc phi|muc thu|muc phi|"
                          r"le phi|chi phi|het bao nhieu|dong bao nhieu|nop bao nhieu)\b")
_QUANTITY = re.compile(r"\b(?:bao nhieu|bn|may tien|het bao)\b")
_PERCENT = re.compile(r"\bphan tram\b|%")
# An amount that is money (not a percentage), or a table priced in "nghìn đồng".
MONEY = re.compile(rf"{_SUM}|(?:nghìn|ngàn|triệu) đồng|{_FREE}", re.IGNORECASE)
# Kinds whose absence from the answer means it cannot be the answer (a phone number, a name):
# the bot then declines, whatever the confidence, unless the question asks where to find them
# (`retrieval.answer.compose`).
_MUST_GIVE = ("phone", "person")


def asked_kinds(question_tokens: list[str]) -> list[str]:
    """What the question asks for: "when", "amount", "where", "phone", "person", "count"
    (possibly several, or none)."""
    return list(asked(question_tokens))


def _gives(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """The test of a sentence that gives what `pattern` finds."""
    return lambda text: bool(pattern.search(text))


def asked(question_tokens: list[str]) -> dict[str, Callable[[str], bool]]:
    """What the question asks for, each with the test of a sentence that gives it."""
    folded = " " + " ".join(fold(token) for token in question_tokens) + " "
    found: dict[str, Callable[[str], bool]] = {
        kind: _gives(pattern) for kind, (phrases, pattern) in _ASKS.items()
        if any(f" {phrase} " in folded for phrase in phrases)}
    if "register" not in found and " dang ky " in folded and any(
            f" {phrase} " in folded for phrase in _HOW_OR_WHERE):  # "đăng ký xe đưa đón ở đâu"
        found["register"] = _gives(_ASKS["register"][1])
    units = sorted({match.group(1) for match in _COUNT_ASK.finditer(folded)})
    if units and not _PERCENT.search(folded):  # "bao nhiêu % trường" asks for a percentage
        # a number of them, not a date ("01 tháng 10")
        number_of = re.compile(r"\b\d+ (?:" + "|".join(units) + r")\b(?! \d)")
        found["count"] = lambda text: bool(number_of.search(fold(text)))
        if not asks_price(question_tokens):  # "bao nhiêu học sinh" is not a sum of money
            found.pop("amount", None)
    if "phone" in found:  # "sđt là bao nhiêu" asks for the number, not an amount
        found.pop("amount", None)
    return found


# Questions after a whole schedule or list ("lịch nghỉ Tết", "thời gian biểu", "những chỗ nào",
# "các khoản", "gồm những gì") rather than one date, sum or place.
_ASKS_MANY = re.compile(r"\b(?:lich|thoi gian|nhung|cac|gom)\b")


def asks_one(question_tokens: list[str]) -> bool:
    """Whether the question asks for one date, sum, count or place ("nộp trước ngày mấy"), not
    a schedule or a list of them (`_ASKS_MANY`)."""
    return not _ASKS_MANY.search(" ".join(fold(token) for token in question_tokens))


def asks_price(question_tokens: list[str]) -> bool:
    """Whether the question asks how much something costs (see `_PRICE_WORDS`)."""
    folded = " ".join(fold(token) for token in question_tokens)
    return bool(_PRICE_WORDS.search(folded) and _QUANTITY.search(folded)
                and not _PERCENT.search(folded))


def lacking(question_tokens: list[str], answer: str) -> list[str]:
    """What the question asks for that an answer must hold and `answer` does not: "phone"
    ("sdt của nhà xe") without a phone number, "person" ("cô nào dạy") without a name."""
    return [kind for kind in asked_kinds(question_tokens)
            if kind in _MUST_GIVE and not _ASKS[kind][1].search(answer)]
