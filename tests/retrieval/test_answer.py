"""Extractive answers (`retrieval.answer`, `retrieval.quote`, `retrieval.asks`): the relevant
sentences, the citation line, FAQ text, honest no-answer."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from retrieval.answer import NO_ANSWER_TEXT, TENTATIVE_TEXT, answering_hit, citation, compose
from retrieval.asks import asked, asked_kinds, asks_one, asks_price, lacking
from retrieval.bm25 import BM25Index, tokenize
from retrieval.index import ChunkRecord, DocumentRecord
from retrieval.quote import extract, split_units
from retrieval.searcher import Hit, SearchResult
from retrieval.settings import RetrievalSettings
from retrieval.types import Answer

CHUNK = (
    "Nhà trường thông báo đến cha mẹ học sinh một số nội dung. "
    "Học phí lớp 1 năm học 2025-2026 được miễn hoàn toàn. "
    "Tiền ăn bán trú là 30.000 đồng mỗi ngày. "
    "Mọi thắc mắc xin liên hệ văn phòng nhà trường."
)
LIST_CHUNK = (
    "Hồ sơ tuyển sinh lớp 1 gồm:\n- Đơn xin nhập học;\n- Bản sao giấy khai sinh.\nHạn nộp: 30/6."
)


@pytest.fixture()
def bm25() -> BM25Index:
    index = BM25Index()
    texts = [CHUNK, LIST_CHUNK, "Lịch khai giảng ngày 5 tháng 9.", "Đồng phục áo trắng."]
    index.build(list(range(1, 5)), [tokenize(text) for text in texts])
    return index


def settings(**overrides: object) -> RetrievalSettings:
    return RetrievalSettings(**{"confidence_threshold": 0.5, **overrides})  # type: ignore[arg-type]


def hit(text: str, score: float = 0.8, kind: str = "document", doc_id: str = "qd-12",
        section: str | None = "Điều 3 › Khoản 1", chunk_id: int = 1) -> Hit:
    document = DocumentRecord(
        id=doc_id, title="Quyết định về học phí", number="12/QĐ-UBND", issued="2025-08-01",
        kind=kind, source_url="https://example.edu.vn/qd-12",
    )
    return Hit(ChunkRecord(chunk_id, doc_id, section, text, tokenize(text), "f"), document,
               score, 0.9, 0.8)


def test_split_units_on_sentences_and_lines() -> None:
    assert split_units("Câu một. Câu hai!\n- Ý a;\n\n- Ý b") == [
        "Câu một.", "Câu hai!", "- Ý a;", "- Ý b"]
    assert split_units("") == []
    # a numbered heading is one unit with its number
    assert split_units("1. Thời gian khám\nII. Địa điểm. Phòng y tế") == [
        "1. Thời gian khám", "II. Địa điểm.", "Phòng y tế"]


def test_extract_keeps_the_relevant_sentence_not_the_whole_chunk(bm25: BM25Index) -> None:
    answer = extract(tokenize("học phí lớp 1 bao nhiêu"), CHUNK, bm25, 600)
    assert "Học phí lớp 1 năm học 2025-2026 được miễn hoàn toàn." in answer
    assert "văn phòng" not in answer and len(answer) < len(CHUNK)
    accent_free = extract(tokenize("tien an ban tru"), CHUNK, bm25, 600)
    assert accent_free == "Tiền ăn bán trú là 30.000 đồng mỗi ngày."


def test_extract_keeps_the_list_a_heading_line_introduces(bm25: BM25Index) -> None:
    answer = extract(tokenize("hồ sơ tuyển sinh lớp 1 gồm những gì"), LIST_CHUNK, bm25, 600)
    assert answer.startswith("Hồ sơ tuyển sinh lớp 1 gồm:")
    assert "- Đơn xin nhập học;" in answer and "- Bản sao giấy khai sinh." in answer


def test_extract_keeps_what_a_chosen_introduction_announces_and_drops_a_dangling_one(
        bm25: BM25Index) -> None:
    results = (
        "1. Kết quả tuyển sinh lớp 10\n"
        "- Trường tuyển 538 học sinh lớp 10.\n"
        "- Học sinh trúng tuyển lớp 10 với điểm trúng tuyển như sau:\n"
        "- Nguyện vọng 1: từ 13,0 trở lên.\n"
        "- Nguyện vọng 2: từ 39,0 trở lên.\n"
        "2. Ôn tập và thi lại\n"
        "- Ôn tập từ ngày 29/7."
    )
    answer = extract(tokenize("trường tuyển bao nhiêu học sinh lớp 10"), results, bm25, 600)
    assert "- Trường tuyển 538 học sinh lớp 10." in answer
    assert "như sau:\n- Nguyện vọng 1: từ 13,0 trở lên.\n- Nguyện vọng 2: từ 39,0" in answer
    assert "Ôn tập" not in answer  # "2." is a heading of its own, not one of the "-" items
    closing = ("Học phí lớp 1 được miễn hoàn toàn. "
               "Nhà trường thông báo học phí lớp 1 như sau:")
    assert extract(tokenize("học phí lớp 1"), closing, bm25, 600) == (
        "Học phí lớp 1 được miễn hoàn toàn.")
    # ... with the clauses of its sentence
    clauses = ("Học phí lớp 1 được miễn hoàn toàn.\n"
               "Nhà trường công bố học phí lớp 1; các khoản thu học phí lớp 1 như sau:")
    assert extract(tokenize("học phí lớp 1"), clauses, bm25, 600) == (
        "Học phí lớp 1 được miễn hoàn toàn.")
    # An introduction that is all there is stays: something must be said.
    assert extract(tokenize("học phí"), "Các khoản học phí như sau:", bm25, 600) == (
        "Các khoản học phí như sau:")


def test_extract_respects_the_length_limit(bm25: BM25Index) -> None:
    long_text = "Học phí " + "rất " * 300 + "cao."
    answer = extract(tokenize("học phí"), long_text, bm25, 100)
    assert len(answer) <= 100 and answer.endswith("…")


def test_citation_line_with_every_part_and_with_parts_missing() -> None:
    line = citation(hit(CHUNK))
    assert line == ("Nguồn: Quyết định về học phí, số 12/QĐ-UBND, ngày 01/08/2025, "
                    "Điều 3 › Khoản 1\nhttps://example.edu.vn/qd-12")
    bare = hit(CHUNK, section=None)
    bare.document = DocumentRecord(id="x", title="Thông báo nghỉ học")
    assert citation(bare) == "Nguồn: Thông báo nghỉ học"


def test_compose_answers_with_text_from_the_source_and_its_citation(bm25: BM25Index) -> None:
    result = SearchResult([hit(CHUNK), hit("Khác.", 0.5, doc_id="other", chunk_id=2),
                           hit("Cùng văn bản.", 0.4, chunk_id=3)], 0.9, tokenize("học phí lớp 1"))
    answer = compose(result, bm25, settings())
    assert answer.answered and answer.confidence == 0.9
    body, cited = answer.answer.split("\n\n")
    assert body in CHUNK and "Học phí lớp 1" in body
    assert cited.startswith("Nguồn: Quyết định về học phí, số 12/QĐ-UBND")
    assert [source.doc_id for source in answer.sources] == ["qd-12", "other"]
    assert answer.sources[0].score == 0.8


def test_compose_faq_answers_with_the_faq_answer_text(bm25: BM25Index) -> None:
    text = "Học sinh mặc áo trắng, quần xanh. Thứ hai mặc áo đoàn."
    result = SearchResult([hit(text, kind="faq", section=None)], 0.95, tokenize("đồng phục"))
    answer = compose(result, bm25, settings())
    assert answer.answer.startswith(text + "\n\nNguồn: ")


def test_compose_below_threshold_says_no_information_without_sources(bm25: BM25Index) -> None:
    result = SearchResult([hit(CHUNK)], 0.3, tokenize("giá vàng"))
    answer = compose(result, bm25, settings())
    assert not answer.answered and answer.answer == NO_ANSWER_TEXT and answer.sources == []
    assert answer.to_json()["confidence"] == 0.3
    empty = compose(SearchResult([], 0.0, []), bm25, settings())
    assert not empty.answered and empty.sources == []


def test_compose_just_above_the_threshold_answers_with_a_caveat(bm25: BM25Index) -> None:
    def asked(confidence: float, tentative_below: float = 0.7) -> Answer:
        result = SearchResult([hit(CHUNK)], confidence, tokenize("học phí lớp 1"))
        return compose(result, bm25, settings(tentative_below=tentative_below))

    sure, shaky, declined = asked(0.75), asked(0.6), asked(0.45)
    assert sure.answered and not sure.tentative
    assert shaky.answered and shaky.tentative and shaky.sources == sure.sources
    assert shaky.answer == f"{TENTATIVE_TEXT}\n\n{sure.answer}"
    assert not declined.answered and not declined.tentative and declined.answer == NO_ANSWER_TEXT
    # `bot ask --json` keeps its shape; the caveat is part of the answer text.
    assert set(shaky.to_json()) == {"answered", "answer", "confidence", "sources"}
    assert not asked(0.6, tentative_below=0.5).tentative  # the band can be switched off
    faq = compose(SearchResult([hit("Học sinh mặc áo trắng.", kind="faq", section=None)], 0.6,
                               tokenize("đồng phục")), bm25, settings(tentative_below=0.7))
    assert faq.tentative and faq.answer.startswith(TENTATIVE_TEXT + "\n\nHọc sinh mặc áo trắng.")


def test_tentative_text_is_vietnamese_and_says_staff_will_check() -> None:
    assert "chưa chắc" in TENTATIVE_TEXT and "cán bộ" in TENTATIVE_TEXT


def test_no_answer_text_is_vietnamese_and_offers_staff() -> None:
    assert "chưa có thông tin" in NO_ANSWER_TEXT and "cán bộ" in NO_ANSWER_TEXT


def test_sources_limited_to_top_k(bm25: BM25Index) -> None:
    hits = [hit(CHUNK, 1.0 - i / 10, doc_id=f"d{i}", chunk_id=i) for i in range(8)]
    answer = compose(SearchResult(hits, 0.99, tokenize("học phí")), bm25, settings(top_k=3))
    assert [s.doc_id for s in answer.sources] == ["d0", "d1", "d2"]
    assert np.isclose(answer.sources[2].score, 0.8)
    assert dt.date.fromisoformat(answer.sources[0].issued or "") == dt.date(2025, 8, 1)


def test_compose_faq_with_its_own_source_line_cites_once(bm25: BM25Index) -> None:
    text = ("Học sinh không bắt buộc mua đồng phục tại trường.\n"
            "Nguồn: Thông báo số 12/TB-THHA về đồng phục.")
    result = SearchResult([hit(text, kind="faq", section=None)], 0.95, tokenize("đồng phục"))
    answer = compose(result, bm25, settings())
    assert answer.answered
    assert answer.answer.count("Nguồn:") == 1
    assert answer.answer.endswith("12/TB-THHA về đồng phục.")
    assert answer.sources and answer.sources[0].doc_id == "qd-12"


MEETING = (
    "Nhà trường kính mời cha mẹ học sinh dự họp cuối học kỳ I.\n"
    "1. Thời gian: 7 giờ 30, sáng thứ Bảy ngày 23/01/2027.\n"
    "2. Địa điểm: tại phòng học của lớp, thôn An Đông.\n"
    "3. Nội dung: giáo viên chủ nhiệm thông báo kết quả học tập."
)


def test_what_a_question_asks_for_with_or_without_diacritics() -> None:
    assert asked_kinds(tokenize("Bao giờ họp phụ huynh?")) == ["when"]
    assert asked_kinds(tokenize("hop phu huynh o dau")) == ["where"]
    assert asked_kinds(tokenize("xe đưa đón bao nhiêu tiền, đăng ký ở đâu")) == [
        "amount", "where", "register"]
    assert asked_kinds(tokenize("lich thi hk1")) == ["when"]
    assert asked_kinds(tokenize("kiem tra cuoi ky 1 lop 8 lich the nao")) == ["when"]
    assert asked_kinds(tokenize("Lịch tiêm vắc xin ở trường")) == ["when"]
    assert asked_kinds(tokenize("đồng phục mặc thế nào")) == []
    assert asked_kinds(tokenize("sdt nhà xe là bao nhiêu")) == ["phone"]  # not an amount
    assert asked_kinds(tokenize("CLB robot do thầy cô nào phụ trách")) == ["person"]
    # how many of something: a count, not a sum of money ("hs" is written out first)
    assert asked_kinds(tokenize("lop day them toi da bao nhieu hs")) == ["count"]
    assert asked_kinds(tokenize("mỗi lần được mượn mấy quyển sách")) == ["count"]
    assert asked_kinds(tokenize("học phí bao nhiêu một tháng")) == ["amount"]
    assert asked_kinds(tokenize("clb robot hoc thu may")) == ["when"]  # "thứ mấy" counts nothing
    assert asked_kinds(tokenize("phiếu đồng ý tiêm nộp trước ngày mấy")) == ["when"]
    assert asked_kinds(tokenize("kham rang mat lam vao tuan nao")) == ["when"]
    assert asked_kinds(tokenize("tiêm vắc xin có mất tiền không")) == ["amount"]
    assert asked_kinds(tokenize("truong co thu tien nuoc uong ko")) == ["amount"]
    assert asked_kinds(tokenize("con muốn vào clb tiếng anh thì đăng ký sao")) == ["register"]
    assert asked_kinds(tokenize("xe dua don dang ky o dau")) == ["where", "register"]
    # how or where after what is signed up for still asks how to sign up
    assert asked_kinds(tokenize("đăng ký xe đưa đón ở đâu")) == ["where", "register"]
    assert asked_kinds(tokenize("dang ky ban tru hk2 nhu the nao")) == ["register"]
    assert asked_kinds(tokenize("đăng ký bán trú rồi có được hoàn tiền không")) == []
    assert asked_kinds(tokenize("han cuoi dong bhyt")) == ["when"]
    assert asked_kinds(tokenize("hạn nộp hồ sơ lớp 6")) == ["when"]


def test_a_question_how_to_sign_up_gets_the_sentence_on_signing_up(bm25: BM25Index) -> None:
    clubs = ("Hoạt động các câu lạc bộ năm học 2026-2027\n"
             "- Tiếng Anh giao tiếp: chiều thứ Tư, phòng Ngoại ngữ.\n"
             "- Mỗi học sinh tham gia tối đa 02 câu lạc bộ.\n"
             "- Câu lạc bộ không học thay tiết học chính khóa.\n- Đăng ký qua giáo viên chủ nhiệm.")
    answer = extract(tokenize("con muon tham gia clb tieng anh thi dang ky sao"), clubs, bm25, 600)
    assert "Đăng ký qua giáo viên chủ nhiệm." in answer


def test_a_sentence_giving_only_part_of_what_is_asked_does_not_stand_alone() -> None:
    # "đăng ký … ở đâu": the club's place matches best, but how to sign up is asked too
    clubs = ("1. Danh sách câu lạc bộ (sinh hoạt từ 16 giờ 00)\n"
             "- Bóng đá: chiều thứ Ba, sân bóng của trường.\n- Cờ vua: chiều thứ Năm, thư viện.\n\n"
             "2. Đăng ký\n- Mỗi học sinh tham gia tối đa 02 câu lạc bộ.\n"
             "- Đăng ký qua giáo viên chủ nhiệm.")
    # a knowledge base where clubs and signing up are everyday words, a football pitch is not
    texts = [clubs, *(f"Câu lạc bộ {n} đăng ký tại trường, sinh hoạt chiều thứ {n}." for n in range(2, 12))]
    index = BM25Index()
    index.build(list(range(len(texts))), [tokenize(text) for text in texts])
    answer = extract(tokenize("đăng ký câu lạc bộ bóng đá ở đâu"), clubs, index, 600)
    assert "sân bóng của trường" in answer and "Đăng ký qua giáo viên chủ nhiệm." in answer
    # one kind asked, given by the best sentence: not the sentence on signing up
    place = extract(tokenize("câu lạc bộ bóng đá học ở đâu"), clubs, index, 600)
    assert "sân bóng của trường" in place and "Đăng ký qua" not in place


def test_paying_without_cash_is_no_free_of_charge() -> None:
    amount = asked(tokenize("tiền bhyt bao nhiêu"))["amount"]
    assert not amount("Giáo viên chủ nhiệm không thu tiền mặt.")
    assert not amount("Nhà trường không thu hồi thẻ cũ.")
    assert amount("Chi phí: miễn phí.") and amount("Nhà trường không thu tiền gửi xe.")
    assert amount("Đóng 12 tháng: 631.800 đồng/học sinh.")


def test_one_date_or_sum_is_asked_for_unless_a_schedule_or_list_is() -> None:
    assert asks_one(tokenize("phieu dong y tiem nop truoc ngay nao"))
    assert asks_one(tokenize("đồng phục thể dục giá bao nhiêu"))
    assert not asks_one(tokenize("lịch nghỉ Tết năm nay"))
    assert not asks_one(tokenize("những chỗ nào trong xã dễ đuối nước"))
    assert not asks_one(tokenize("các khoản thu đầu năm bao nhiêu"))


def test_an_answer_without_the_phone_number_or_name_asked_for_lacks_it() -> None:
    phone, person = tokenize("Số điện thoại nhà xe là bao nhiêu?"), tokenize("cô nào dạy lớp 4A")
    assert lacking(phone, "Hai chiều: 220.000 đồng/tháng.") == ["phone"]
    assert lacking(phone, "Liên hệ nhà xe: 0296 3851 234.") == []
    assert lacking(phone, "Gọi 0912.345.678 (anh Tâm).") == []
    assert lacking(person, "Lớp 4A học 2 buổi/ngày ở thôn Bến Đò.") == ["person"]
    assert lacking(person, "Chủ nhiệm lớp 4A: cô Trần Thị Mai.") == []
    assert lacking(person, "Phụ trách: Nguyễn Văn Bình.") == []
    assert lacking(tokenize("học phí bao nhiêu"), "Miễn học phí.") == []  # asks for neither


def test_compose_declines_a_phone_number_it_does_not_have_unless_asked_where_to_find_it(
        bm25: BM25Index) -> None:
    asked = SearchResult([hit(CHUNK)], 0.95, tokenize("sdt văn phòng nhà trường là bao nhiêu"))
    answer = compose(asked, bm25, settings(tentative_below=0.7))
    assert not answer.answered and answer.answer == NO_ANSWER_TEXT and answer.sources == []
    assert answer.confidence == 0.95  # the passage matched; the number is what is missing
    assert answer.lacking == ["phone"]
    where = SearchResult([hit(CHUNK)], 0.95, tokenize("sdt văn phòng nhà trường xem ở đâu"))
    answer = compose(where, bm25, settings(tentative_below=0.7))
    assert answer.answered and answer.tentative and answer.answer.startswith(TENTATIVE_TEXT)
    assert answer.lacking == ["phone"]


def test_extract_gives_the_date_or_place_line_the_question_asks_for(bm25: BM25Index) -> None:
    when = extract(tokenize("bao giờ họp phụ huynh"), MEETING, bm25, 600)
    assert "7 giờ 30, sáng thứ Bảy ngày 23/01/2027" in when and "thôn An Đông" not in when
    where = extract(tokenize("hop phu huynh o dau"), MEETING, bm25, 600)
    assert "thôn An Đông" in where and "23/01/2027" not in where


VACCINATION = (
    "II. TIÊM VẮC XIN Td\n1. Đối tượng: học sinh lớp 2.\n"
    "2. Thời gian: thứ Tư ngày 16/12/2026, từ 7 giờ 30, tại hội trường.\n3. Chi phí: miễn phí.\n"
    "4. Thủ tục: cha mẹ ký phiếu đồng ý tiêm, gửi giáo viên chủ nhiệm trước ngày 11/12/2026.\n"
    "5. Trẻ đang sốt được hoãn tiêm và tiêm bù vào ngày 25 hằng tháng.")


def test_extract_gives_the_one_date_asked_for_without_the_others(bm25: BM25Index) -> None:
    consent = extract(tokenize("phiếu đồng ý tiêm nộp trước ngày mấy"), VACCINATION, bm25, 600)
    assert "11/12/2026" in consent and "16/12/2026" not in consent and "25 hằng" not in consent
    # a date sentence without the question's words is still found when none of those has one
    day = extract(tokenize("tiêm vắc xin Td ngày nào"), VACCINATION, bm25, 600)
    assert "16/12/2026" in day
    # ... and a schedule brings every date
    schedule = extract(tokenize("lịch tiêm vắc xin Td"), VACCINATION, bm25, 600)
    assert all(date in schedule for date in ("16/12/2026", "11/12/2026", "25 hằng tháng"))


def test_a_quoted_list_item_keeps_the_label_or_heading_it_stands_under(bm25: BM25Index) -> None:
    timetable = ("Học 2 buổi/ngày.\nBuổi sáng\n- Tiết 1: 7 giờ 15 - 7 giờ 50.\n"
                 "- Tiết 2: 7 giờ 55 - 8 giờ 30.\nBuổi chiều\n- Tiết 1: 14 giờ 00 - 14 giờ 35.\n"
                 "- Tiết 2: 14 giờ 40 - 15 giờ 15.")
    answer = extract(tokenize("tiết 2 bắt đầu lúc mấy giờ"), timetable, bm25, 600)
    lines = answer.splitlines()
    assert lines[0] == "Buổi sáng" and "Học 2 buổi/ngày." not in lines
    assert lines.index("Buổi chiều") < lines.index("- Tiết 2: 14 giờ 40 - 15 giờ 15.")
    assert lines.index("Buổi sáng") < lines.index("- Tiết 2: 7 giờ 55 - 8 giờ 30.") < lines.index(
        "Buổi chiều")
    plan = ("1. Khai giảng ngày 05/9/2026.\n2. Học kỳ I\na) Từ ngày 07/9/2026 đến ngày 16/01/2027.\n"
            "b) Kiểm tra cuối kỳ từ ngày 04/01/2027.\n3. Học kỳ II\na) Từ ngày 18/01/2027.")
    term = extract(tokenize("hoc ky 1 tu ngay nao den ngay nao"), plan, bm25, 600)
    assert term.startswith("2. Học kỳ I\na) Từ ngày 07/9/2026 đến ngày 16/01/2027.")
    # a sentence or a table cell before a list is no label
    rules = "Học sinh lưu ý các điều sau.\n- Không nhuộm tóc.\n34 giải\n- Giải nhất: 5 triệu đồng."
    assert extract(tokenize("co duoc nhuom toc khong"), rules, bm25, 600) == "- Không nhuộm tóc."
    assert extract(tokenize("giai nhat bao nhieu tien"), rules, bm25, 600) == (
        "- Giải nhất: 5 triệu đồng.")


def test_a_quote_keeps_the_numbered_section_heading_it_stands_under(bm25: BM25Index) -> None:
    fees = ("THÔNG BÁO\nIV. KHOẢN TỰ NGUYỆN\nQuỹ lớp do cha mẹ tự quyết.\n"
            "V. NHỮNG KHOẢN NHÀ TRƯỜNG KHÔNG THU\nTiền ghế ngồi, tiền trông xe đạp, tiền nước uống.")
    assert extract(tokenize("truong co thu tien trong xe dap ko"), fees, bm25, 600) == (
        "V. NHỮNG KHOẢN NHÀ TRƯỜNG KHÔNG THU\nTiền ghế ngồi, tiền trông xe đạp, tiền nước uống.")
    # an unnumbered line ("THÔNG BÁO") is no section heading, and a numbered item stands beside
    # the numbered heading before it, not under it
    notice = "THÔNG BÁO\nLịch mở cửa thư viện từ 7 giờ 00.\n2. Mượn sách\n6. Ngày hội đọc sách: 21/4/2027."
    assert extract(tokenize("thu vien mo cua luc may gio"), notice, bm25, 600) == (
        "Lịch mở cửa thư viện từ 7 giờ 00.")
    assert extract(tokenize("ngay hoi doc sach ngay nao"), notice, bm25, 600) == (
        "6. Ngày hội đọc sách: 21/4/2027.")


def test_a_quote_cut_from_inside_a_sentence_reads_as_one(bm25: BM25Index) -> None:
    uniforms = ("- Cửa hàng may Minh Châu có sẵn các cỡ: bộ đồng phục chính 145.000 đồng/bộ; "
                "bộ đồng phục thể dục 120.000 đồng/bộ; logo thêu rời 10.000 đồng/chiếc.")
    assert extract(tokenize("đồng phục thể dục giá bao nhiêu"), uniforms, bm25, 600) == (
        "Bộ đồng phục thể dục 120.000 đồng/bộ.")
    letters = "Thời gian như sau:\na) Tổng kết năm học trước ngày 31/5/2027;\nb) Nghỉ hè."
    assert extract(tokenize("tổng kết năm học ngày nào"), letters, bm25, 600).startswith("a) ")


def test_extract_matches_synonyms_and_keeps_sentences_of_a_line_together(bm25: BM25Index) -> None:
    timetable = ("Học 5 ngày/tuần từ thứ Hai đến thứ Sáu; thứ Bảy và Chủ nhật học sinh nghỉ.\n"
                 "- Tiết 1: 7 giờ 15 - 7 giờ 50.\n- Ra chơi: 8 giờ 30.")
    answer = extract(tokenize("thu 7 co hoc ko"), timetable, bm25, 600)
    assert answer.startswith("Thứ Bảy và Chủ nhật học sinh nghỉ.")  # "thứ 7" is "thứ Bảy"
    prices = "- Hai chiều: 220.000 đồng/tháng; một chiều: 130.000 đồng/tháng.\n- Xe 45 chỗ."
    assert extract(tokenize("xe bao nhiêu tiền một tháng"), prices, bm25, 600).splitlines()[0] == (
        "- Hai chiều: 220.000 đồng/tháng; một chiều: 130.000 đồng/tháng.")


def test_the_answer_comes_from_the_chunk_that_gives_what_is_asked(bm25: BM25Index) -> None:
    intro = hit("Thông báo tuyến xe đưa đón học sinh năm học mới.", 0.72, chunk_id=1)
    price = hit("3. Giá vé\n- Hai chiều: 220.000 đồng/tháng.", 0.70, chunk_id=2, section="3. Giá vé")
    far = hit("Giá vé tháng 9: 200.000 đồng.", 0.50, chunk_id=3)
    other = hit("Học phí: 100.000 đồng.", 0.71, doc_id="other", chunk_id=4)
    asked = SearchResult([intro, price, other, far], 0.9, tokenize("xe đưa đón bao nhiêu tiền"))
    assert answering_hit(asked) is price
    answer = compose(asked, bm25, settings())
    assert "220.000 đồng/tháng" in answer.answer and ", 3. Giá vé" in answer.answer
    assert answering_hit(SearchResult([intro, far], 0.9, tokenize("xe bao nhiêu tiền"))) is intro
    plain = SearchResult([intro, price], 0.9, tokenize("xe đưa đón học sinh"))
    assert answering_hit(plain) is intro  # nothing asked for: the best chunk


def test_a_price_question_takes_the_chunk_with_the_price_even_well_behind(bm25: BM25Index) -> None:
    # The introduction names the village asked about; the price list is 21 % behind.
    intro = hit("Tuyến xe đưa đón học sinh thôn Bến Đò do Hợp tác xã tổ chức.", 0.77, chunk_id=1)
    price = hit("3. Giá vé\n- Hai chiều: 220.000 đồng/tháng.", 0.61, chunk_id=2, section="3. Giá vé")
    far = hit("- Một chiều: 130.000 đồng/tháng.", 0.50, chunk_id=3)
    other = hit("Học phí: 100.000 đồng.", 0.70, doc_id="other", chunk_id=4)  # not a tie

    def asked(question: str) -> SearchResult:
        return SearchResult([intro, other, price, far], 0.9, tokenize(question))

    assert asks_price(tokenize("xe dua don thon ben do gia bn mot thang"))
    assert answering_hit(asked("xe dua don thon ben do gia bn mot thang")) is price
    assert answering_hit(asked("Xe đưa đón thôn Bến Đò hết bao nhiêu tiền?")) is price
    answer = compose(asked("xe đưa đón thôn Bến Đò giá bao nhiêu một tháng"), bm25, settings())
    assert "- Hai chiều: 220.000 đồng/tháng." in answer.answer and "Tuyến xe" not in answer.answer
    assert answer.sources[0].section == "3. Giá vé"
    # Not a price: a count, or a percentage, keeps the best chunk.
    assert not asks_price(tokenize("xe đưa đón thôn Bến Đò có bao nhiêu chỗ"))
    assert answering_hit(asked("xe đưa đón thôn Bến Đò có bao nhiêu chỗ")) is intro
    assert not asks_price(tokenize("tiền xe được hỗ trợ bao nhiêu phần trăm"))
    # Further behind than PRICE_MARGIN (30 %) is too far.
    behind = hit("3. Giá vé\n- Hai chiều: 220.000 đồng/tháng.", 0.53, chunk_id=2, section="3. Giá vé")
    late = SearchResult([intro, behind], 0.9, tokenize("xe thôn Bến Đò giá bao nhiêu"))
    assert answering_hit(late) is intro


def test_a_tied_document_that_gives_the_amount_answers_and_leads_the_sources(bm25: BM25Index) -> None:
    faq = hit("Cha mẹ đăng ký bán trú với giáo viên chủ nhiệm; mức tiền ăn theo thông báo riêng.",
              0.617, kind="faq", doc_id="faq-ban-tru", section=None, chunk_id=1)
    notice = hit("- Tiền ăn: 30.000 đồng/ngày.", 0.614, doc_id="tb-ban-tru", chunk_id=2,
                 section="2. Các khoản thu")
    behind = hit("- Tiền ăn: 28.000 đồng/ngày.", 0.55, doc_id="tb-cu", chunk_id=3)
    asked = SearchResult([faq, notice, behind], 0.9, tokenize("tiền ăn bán trú một ngày bao nhiêu"))
    assert answering_hit(asked) is notice
    answer = compose(asked, bm25, settings())
    assert answer.answer.startswith("- Tiền ăn: 30.000 đồng/ngày.")
    assert [source.doc_id for source in answer.sources] == ["tb-ban-tru", "faq-ban-tru", "tb-cu"]
    # 3.5 % behind still counts as a tie (DOCUMENT_MARGIN); 6 % behind does not.
    close = hit(notice.chunk.text, 0.595, doc_id="tb-ban-tru", chunk_id=2)
    far = hit(notice.chunk.text, 0.58, doc_id="tb-ban-tru", chunk_id=2)
    assert answering_hit(SearchResult([faq, close], 0.9, asked.query_tokens)) is close
    assert answering_hit(SearchResult([faq, far], 0.9, asked.query_tokens)) is faq
    how = SearchResult([faq, notice], 0.9, tokenize("đăng ký bán trú thế nào"))
    assert answering_hit(how) is faq  # nothing asked for: the FAQ stays first
    far = SearchResult([faq, behind], 0.9, tokenize("tiền ăn bán trú một ngày bao nhiêu"))
    assert answering_hit(far) is faq  # 0.55 is no tie with 0.617
    # The FAQ's boost (0.05) sets preference, not evidence: without it, 0.567 and 0.55 are a tie.
    assert answering_hit(far, faq_boost=0.05) is behind
    assert answering_hit(SearchResult([faq, hit(behind.chunk.text, 0.53, doc_id="tb-cu")], 0.9,
                                      far.query_tokens), faq_boost=0.05) is faq  # 0.53 is not
    how = SearchResult([faq, behind], 0.9, tokenize("đăng ký bán trú thế nào"))
    assert answering_hit(how, faq_boost=0.05) is faq  # nothing asked for: the FAQ stays first
    assert compose(far, bm25, settings(faq_boost=0.05)).sources[0].doc_id == "tb-cu"


def test_a_count_question_gets_the_sentence_with_that_number_not_a_date(bm25: BM25Index) -> None:
    library = ("2. Mượn sách về nhà\n"
               "- Học sinh đăng ký mượn sách với cán bộ thư viện.\n"
               "- Mỗi học sinh mượn tối đa 02 quyển, trong 07 ngày;\n"
               "- Sách mượn được gia hạn thêm 01 lần.")
    answer = extract(tokenize("mỗi lần được mượn mấy quyển sách về nhà"), library, bm25, 600)
    assert "- Mỗi học sinh mượn tối đa 02 quyển, trong 07 ngày;" in answer
    card = ("Thẻ có giá trị từ ngày 01 tháng 10. "
            "Học sinh đóng bảo hiểm y tế định kỳ 03 tháng, 06 tháng hoặc 12 tháng.")
    assert extract(tokenize("hs đóng bhyt mấy tháng"), card, bm25, 600) == (
        "Học sinh đóng bảo hiểm y tế định kỳ 03 tháng, 06 tháng hoặc 12 tháng.")


def test_a_tied_document_that_gives_the_count_answers(bm25: BM25Index) -> None:
    guide = hit("Trường tiểu học, trung học cơ sở được sắp xếp trong phạm vi một xã.", 0.52,
                doc_id="cv-5208", chunk_id=1)
    letter = hit("Bảo đảm mỗi xã có tối thiểu 01 trường mầm non, 01 trường phổ thông.", 0.505,
                 doc_id="cv-4054", chunk_id=2)
    asked = SearchResult([guide, letter], 0.8, tokenize("moi xa phai co toi thieu may truong"))
    assert answering_hit(asked) is letter
    what = SearchResult([guide, letter], 0.8, tokenize("sap xep truong trong xa the nao"))
    assert answering_hit(what) is guide


def test_a_heading_the_answer_would_be_alone_brings_the_first_line_of_its_section(
        bm25: BM25Index) -> None:
    health = ("I. KHÁM SỨC KHỎE\n1. Thời gian: tuần đầu tháng 12.\nII. TIÊM VẮC XIN Td\n"
              "1. Đối tượng: học sinh lớp 2 (trẻ 7 tuổi).\n2. Chi phí: miễn phí.\nIII. LƯU Ý\n"
              "Mang sổ tiêm chủng.")
    assert extract(tokenize("tiem vac xin td"), health, bm25, 600) == (
        "II. TIÊM VẮC XIN Td\n1. Đối tượng: học sinh lớp 2 (trẻ 7 tuổi).")
    # ... and so does one an introduction brings along
    exams = ("Trường THCS Hòa An thông báo lịch kiểm tra cuối học kỳ I như sau:\n1. Ôn tập\n"
             "Giáo viên bộ môn hướng dẫn ôn tập trên lớp từ ngày 07/12/2026.\n"
             "Nhà trường không tổ chức lớp ôn tập thu tiền.")
    assert extract(tokenize("trường thcs thông báo kiểm tra cuối học kỳ"), exams, bm25, 600) == (
        "Trường THCS Hòa An thông báo lịch kiểm tra cuối học kỳ I như sau:\n1. Ôn tập\n"
        "Giáo viên bộ môn hướng dẫn ôn tập trên lớp từ ngày 07/12/2026.")
    # ... and so does a line that repeats the document's title
    plan = ("KẾ HOẠCH\nPhòng, chống đuối nước cho trẻ em, học sinh năm học 2026-2027\n"
            "I. MỤC TIÊU\n1. Không để trẻ em, học sinh trên địa bàn xã bị đuối nước.")
    title = "Kế hoạch phòng, chống đuối nước cho trẻ em, học sinh xã Hòa An năm học 2026-2027"
    assert extract(tokenize("kế hoạch phòng chống đuối nước"), plan, bm25, 600, title) == (
        "Phòng, chống đuối nước cho trẻ em, học sinh năm học 2026-2027\nI. MỤC TIÊU\n"
        "1. Không để trẻ em, học sinh trên địa bàn xã bị đuối nước.")
    # A heading stays beside the row of its section that answers; one none of whose section
    # is quoted ("2. Tổ hợp 2") is left out.
    books = ("1. Tổ hợp 1\nSTT | TÊN SÁCH | GIÁ\n1 | NGỮ VĂN 10 | 20000\n2 | TOÁN 10 | 21000\n"
             "11 | TIN HỌC 10 | 22000\n2. Tổ hợp 2\n1 | NGỮ VĂN 10 | 20000")
    assert extract(tokenize("sách tin học 10 tổ hợp 1 giá bao nhiêu"), books, bm25, 600) == (
        "1. Tổ hợp 1\nSTT | TÊN SÁCH | GIÁ\n11 | TIN HỌC 10 | 22000")



def test_a_number_after_a_word_matches_only_with_that_word(bm25: BM25Index) -> None:
    exams = ("- Thứ Hai 21/12/2026: Ngữ văn (90 phút);\n- Thứ Ba 22/12/2026: Toán (90 phút);\n"
             "Học sinh có mặt lúc 6 giờ 45; môn đầu tiên bắt đầu lúc 7 giờ 15.")
    # "lớp 7" is no "7 giờ 15": the line with the subject asked for answers
    answer = extract(tokenize("thi cuoi ky 1 mon toan lop 7 ngay nao"), exams, bm25, 600)
    assert answer.startswith("- Thứ Ba 22/12/2026: Toán (90 phút)")
    assert "Ngữ văn" not in answer
    # a clause quoted without the one before it starts with a capital on its own line
    assert answer.splitlines()[1:] == ["Môn đầu tiên bắt đầu lúc 7 giờ 15."]
    holidays = ("4. Ngày 30/4 và 1/5: học sinh nghỉ thứ Sáu ngày 30/4/2027; "
                "ngày 1/5/2027 rơi vào thứ Bảy.\n5. Các ngày nghỉ lễ không phải học bù.")
    # a date typed in parts ("30/4") still matches by its numbers
    assert extract(tokenize("nghi le 30/4 nam 2027 roi vao thu may"), holidays, bm25, 600) == (
        "4. Ngày 30/4 và 1/5: học sinh nghỉ thứ Sáu ngày 30/4/2027; ngày 1/5/2027 rơi vào thứ Bảy.")


def test_a_document_of_the_other_semester_does_not_answer_for_this_one(bm25: BM25Index) -> None:
    faq = hit("Mỗi học kỳ có thông báo riêng về mức tiền ăn.", 0.64, kind="faq",
              doc_id="faq-ban-tru", section=None, chunk_id=1)
    first = DocumentRecord(id="tb-hk1", title="Thông báo mức thu tiền ăn bán trú học kỳ I",
                           kind="announcement")
    text = "- Tiền ăn: 30.000 đồng/ngày."
    notice = Hit(ChunkRecord(2, "tb-hk1", None, text, tokenize(text), "f"), first, 0.635, 0.9, 0.8)
    second = SearchResult([faq, notice], 0.8, tokenize("tien an ban tru hk2 bao nhieu 1 ngay"))
    assert answering_hit(second) is faq
    this = SearchResult([faq, notice], 0.8, tokenize("tien an ban tru hk1 bao nhieu 1 ngay"))
    assert answering_hit(this) is notice
    plain = SearchResult([faq, notice], 0.8, tokenize("tien an ban tru bao nhieu 1 ngay"))
    assert answering_hit(plain) is notice


SWIMMING = ("III. CÁC HOẠT ĐỘNG\n1. Trong mùa mưa lũ\n"
            "a) Khi nước tràn qua đập thôn Bến Đò, học sinh không được tự đi qua đập.\n"
            "2. Lớp dạy bơi an toàn hè 2027\n"
            "a) Thời gian dự kiến: từ ngày 14/6/2027 đến ngày 10/7/2027.\n"
            "b) Địa điểm: bể bơi lắp ghép đặt tại sân Nhà văn hóa xã.")


def test_a_heading_that_matches_keeps_the_answer_within_its_section(bm25: BM25Index) -> None:
    where = extract(tokenize("lớp dạy bơi hè 2027 học ở đâu"), SWIMMING, bm25, 600)
    assert "b) Địa điểm: bể bơi lắp ghép đặt tại sân Nhà văn hóa xã." in where
    assert "thôn Bến Đò" not in where  # a place, but of the flood season's section


def test_among_near_chunks_the_one_whose_heading_names_the_subject_answers(
        bm25: BM25Index) -> None:
    tasks = hit("V. TỔ CHỨC THỰC HIỆN\n1. Phòng Văn hóa - Xã hội tổ chức lớp dạy bơi.\n"
                "2. Trạm Y tế tập huấn sơ cứu vào tháng 4/2027.", 0.497, doc_id="kh", chunk_id=1)
    activities = hit(SWIMMING, 0.493, doc_id="kh", chunk_id=2)
    asked = SearchResult([tasks, activities], 0.8, tokenize("lop day boi bat dau khi nao"))
    assert answering_hit(asked) is activities
    # nothing under a heading about it: the better score decides, as before
    plain = hit("Tập huấn sơ cứu vào tháng 4/2027.", 0.493, doc_id="kh", chunk_id=2)
    assert answering_hit(SearchResult([tasks, plain], 0.8, asked.query_tokens)) is tasks


def test_another_documents_chunk_that_gives_the_place_is_its_best_giving_one(
        bm25: BM25Index) -> None:
    faq = hit("Không. Các trường không bán đồng phục.", 0.82, kind="faq", doc_id="faq-dp",
              section=None, chunk_id=1)
    notes = hit("4. Những điều cần lưu ý\n- Không bắt buộc mua đồng phục tại trường.", 0.744,
                doc_id="tb-dp", chunk_id=2)
    shop = hit("3. Nơi mua và giá tham khảo\n- Cửa hàng may Minh Châu (dãy ki-ốt số 3, chợ Hòa An).",
               0.734, doc_id="tb-dp", chunk_id=3)
    asked = SearchResult([faq, notes, shop], 0.9, tokenize("mua dong phuc o dau"))
    assert answering_hit(asked, faq_boost=0.05) is shop
    assert asked_kinds(tokenize("mua dong phuc o dau")) == ["where"]


def test_words_of_the_documents_title_do_not_choose_its_sentences(bm25: BM25Index) -> None:
    clubs = ("1. Danh sách câu lạc bộ (sinh hoạt từ 16 giờ 00 đến 17 giờ 15)\n"
             "- Bóng đá: chiều thứ Ba, sân bóng của trường.\n"
             "- Tiếng Anh giao tiếp: chiều thứ Tư, phòng Ngoại ngữ.\n"
             "2. Chi phí: tất cả câu lạc bộ đều miễn phí.\n"
             "- Mỗi học sinh tham gia tối đa 02 câu lạc bộ.\n"
             "- Câu lạc bộ không học thay tiết học chính khóa.")
    title = "Thông báo hoạt động câu lạc bộ năm học 2026-2027 Trường THCS Hòa An"
    answer = extract(tokenize("clb tieng anh hoc o dau"), clubs, bm25, 600, title)
    assert "- Tiếng Anh giao tiếp: chiều thứ Tư, phòng Ngoại ngữ." in answer
    assert "tối đa 02" not in answer and "chính khóa" not in answer
    # without the title, "câu lạc bộ" outweighs "tiếng Anh" in every line that names it
    assert "chính khóa" in extract(tokenize("clb tieng anh hoc o dau"), clubs, bm25, 600)
