"""How a parent's first message to the feedback or misinformation form, to a subscription or to
the help menu, reads.

Three kinds of message open those forms: a request to open it ("tôi muốn góp ý", "báo tin
sai"), the feedback or report itself ("căng tin trước cổng trường bán đồ ăn không đảm bảo vệ
sinh", "nghe nói trường sắp đóng cửa, có phải tin đồn không"), and now and then a plain question
the dialogue model took for feedback ("báo nghỉ ăn trước mấy giờ", "trường có thu tiền quỹ lớp
không").  `says_enough` tells the second kind, so the form keeps it as the message instead of
asking for it again; `is_plain_question` tells the third, which the knowledge base is asked
first (`actions.ticket_route`).

Standard library and `retrieval.normalize` only: `scripts/eval_routing.py` imports it under
the Rasa environment.
"""

from __future__ import annotations

import re

from retrieval.normalize import folded_tokens

# Words that ask to open a form rather than say what about (folded, abbreviations expanded).
_FEEDBACK_REQUEST = ("gop y", "y kien", "dong gop", "phan anh", "khieu nai", "kien nghi",
                     "de nghi", "de xuat", "phan nan", "to cao", "buc xuc", "khong hai long",
                     "hom thu")
_MISINFORMATION_REQUEST = ("tin sai", "tin gia", "tin don", "bao tin", "sai lech", "that thiet",
                           "kiem tra giup", "xac minh", "kiem chung")
_HUMAN_REQUEST = ("can bo", "nguoi that", "nhan vien", "tong dai vien", "nguoi phu trach",
                  "phu trach", "thay co", "hieu truong", "van thu", "ad", "bot", "gap", "noi chuyen",
                  "ket noi", "noi may", "chuyen", "nho", "tra loi", "ho tro", "truc tiep",
                  "tu van", "giup", "cau hoi", "hieu", "xa", "khong phai", "chu")
# "đơn đề nghị" is a form to fill in, not a request to the school.
_APPLICATION = re.compile(r"\b(don|giay|phieu|mau) de nghi\b")
# Words of a rumour being checked ("nghe nói …, có đúng không"): such a message is a report for
# staff to count, not a plain question, even when question-shaped.
_RUMOUR = ("nghe noi", "nghe don", "dang don", "don rang", "nguoi ta noi", "mao danh", "lua dao",
           "gia mao", "that hay", "co dung khong", "dung khong", "phai tin", "tren mang",
           "bai dang", "dang tin", "chia se", "thong tin sai", "tin nay")
# Words that carry no subject of their own in such a request.
_FILLER_PHRASES = ("nha truong", "ban giam hieu", "phu huynh", "gia dinh", "bao cao", "mot chut")
_FILLER = frozenset("toi em minh chung ta con chau anh chi muon can xin cho gui nhan ve viec cua "
                    "voi den a nhe nha oi ah co khong duoc la thi va".split())
# A message keeps this many subject words once the request and filler words are left out.
PREFILL_WORDS = 5

# Question phrases a feedback message does not use (folded, whole words).
_QUESTION_PHRASES = ("bao nhieu", "bao gio", "khi nao", "luc nao", "may gio", "ngay nao",
                     "hom nao", "thu may", "o dau", "cho nao", "the nao", "ra sao", "la gi",
                     "la ai", "co phai", "phai khong", "duoc khong", "hay khong", "co can",
                     "bao lau", "truoc may", "may ngay", "may tien")
# A question ending "… không/chưa" ("trường có thu tiền quỹ lớp không").
_QUESTION_ENDINGS = frozenset({"khong", "chua", "hong"})
# The fewest words of a question the knowledge base is asked before the form.
QUESTION_WORDS = 3


def _words(text: str) -> str:
    return " ".join(folded_tokens(text))


def _has(words: str, phrases: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{phrase}\b", words) for phrase in phrases)


def _without(words: str, phrases: tuple[str, ...]) -> list[str]:
    for phrase in phrases + _FILLER_PHRASES:
        words = re.sub(rf"\b{phrase}\b", " ", words)
    return [word for word in words.split() if word not in _FILLER]


_REQUESTS = {"feedback_form": _FEEDBACK_REQUEST,
             "misinformation_form": _MISINFORMATION_REQUEST + _FEEDBACK_REQUEST,
             "human_form": _HUMAN_REQUEST + _FEEDBACK_REQUEST}


def says_enough(text: str, form: str) -> bool:
    """Whether the message that opened `form` (a key of `_REQUESTS`) says what it is about,
    beyond asking to open the form ("tôi muốn góp ý", "cho tôi gặp cán bộ" do not; "phản ánh xe
    đưa đón chạy ẩu", "cho tôi gặp cán bộ hỏi về hồ sơ chuyển trường giữa năm" do)."""
    if text.startswith("/"):
        return False
    return len(_without(_words(text), _REQUESTS[form])) >= PREFILL_WORDS


# Any word of a report about information going round (folded): where it was seen, who said it,
# that it is false.  A message read as a rumour report with none of them is a question.
# ("đồn" only in phrases: folded, it is also "đón")
_REPORT_MARKS = ("tin", "nghe don", "dang don", "don rang", "don la", "sai", "gia mao",
                 "mao danh", "lua dao", "noi", "nghe", "chia se", "dang tin", "dang bai",
                 "bai dang", "bai viet", "facebook", "fb", "zalo", "tiktok", "youtube", "mang",
                 "nhom", "xung", "chuyen tien", "co that", "that khong", "that hay", "dung khong",
                 "kiem tra", "xac minh", "bao cao", "bia dat", "phao")


def names_no_report(text: str) -> bool:
    """Whether a message read as a misinformation report says nothing of a report: no word of
    a rumour, a source or falsehood ("lịch nghỉ tết", "xe đưa đón giá bao nhiêu")."""
    return not text.startswith("/") and not _has(_words(text), _REPORT_MARKS)


def is_plain_question(text: str) -> bool:
    """Whether a message read as feedback or as a misinformation report is a question, not a
    complaint, a rumour or a request to send one: question-shaped and free of feedback and
    rumour words ("báo nghỉ ăn trước mấy giờ", "gia đình khó khăn có được miễn tiền ăn không";
    not "tôi muốn phản ánh, sao trường thu nhiều vậy", "nghe nói học phí tăng, có đúng không")."""
    if text.startswith("/"):
        return False
    words = _words(text)
    if len(words.split()) < QUESTION_WORDS or _has(
            _APPLICATION.sub(r"\1", words), _FEEDBACK_REQUEST + _MISINFORMATION_REQUEST + _RUMOUR):
        return False
    return (text.rstrip().endswith("?") or _has(words, _QUESTION_PHRASES)
            or words.split()[-1] in _QUESTION_ENDINGS)


# Words of announcements and of being sent them (folded): a message read as a request to
# subscribe or unsubscribe with none of them asks about something else ("đăng ký xe đưa đón ở
# đâu" is registering for the school bus).  "tin" not as in "tin học".
_ANNOUNCEMENT_MARKS = ("thong bao", r"tin(?! hoc)", "cap nhat", "theo doi", "subscribe",
                       "unsubscribe", "bao cho toi", "bao cho em", "bao cho minh", "nhan toi",
                       "nhan em", "nhan minh", "nhan cho toi", "nhan cho em")


def names_no_announcements(text: str) -> bool:
    """Whether a message read as a request to (un)subscribe says nothing of announcements and
    is long enough to be about something ("đăng ký xe đưa đón ở đâu", "hủy đăng ký bán trú thế
    nào"; not "đăng ký nhận tin", "bỏ theo dõi", "đăng ký"): it is a question."""
    if text.startswith("/"):
        return False
    words = _words(text)
    return len(words.split()) >= QUESTION_WORDS and not _has(words, _ANNOUNCEMENT_MARKS)


# Words of asking the bot itself for help or its menu (folded).  Not "hỗ trợ" alone: "hộ nghèo
# được hỗ trợ gì" is a question on support for families.
_HELP_MARKS = ("giup", "huong dan", "ho tro duoc", "chuc nang", "tinh nang", "menu", "help",
               "lam duoc gi", "lam gi", "hoi gi", "hoi duoc gi", "cach dung", "su dung",
               "bat dau", "cau khac", "muc nao", "danh sach")


def asks_for_help(text: str) -> bool:
    """Whether a message read as a request for help speaks of the bot's help or menu ("em hỗ
    trợ được những gì", "chỉ tôi cách dùng với"), not of a school matter ("tiền ăn bán trú nộp
    cho ai", which the dialogue model now and then reads as help)."""
    return text.startswith("/") or _has(_words(text), _HELP_MARKS)
