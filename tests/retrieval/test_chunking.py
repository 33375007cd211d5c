"""Chunks follow the document's own structure and carry their heading path."""

from __future__ import annotations

import random

from retrieval.chunking import (
    MAX_CHARS,
    MIN_CHARS,
    build_search_text,
    chunk_document,
    classify,
    split_long,
)


def _clause(n: int, words: int = 40) -> str:
    return (
        f"{n}. Nội dung khoản {n} "
        + " ".join(["quy định về học phí của học sinh"] * (words // 7))
        + "."
    )


LEGAL = "\n".join(
    [
        "NGHỊ ĐỊNH",
        "Quy định về học phí",
        "Chương I",
        "QUY ĐỊNH CHUNG",
        "Điều 1. Phạm vi điều chỉnh",
        "Nghị định này quy định về học phí trong các trường công lập trên địa bàn xã. " * 12,
        "Điều 2. Đối tượng áp dụng",
        "Nghị định này áp dụng đối với trẻ em mầm non, học sinh và các cơ sở giáo dục. " * 6,
        "Chương II",
        "MIỄN, GIẢM HỌC PHÍ",
        "Điều 5. Đối tượng được miễn học phí",
        _clause(1, 120),
        _clause(2, 120),
        "a) Học sinh mồ côi cả cha lẫn mẹ, không nơi nương tựa, được miễn toàn bộ học phí"
        " trong suốt năm học.",
        "b) Học sinh khuyết tật thuộc hộ nghèo được miễn học phí theo danh sách do xã"
        " xác nhận hằng năm.",
        _clause(3, 120),
        "Điều 6. Hồ sơ",
        "Đơn đề nghị theo mẫu kèm bản sao giấy khai sinh.",
    ]
)


def test_legal_structure_gives_chapter_article_clause_paths() -> None:
    chunks = chunk_document(LEGAL)
    sections = [c.section for c in chunks]
    assert "Chương I › Điều 1" in sections
    assert "Chương II › Điều 5 › Khoản 1" in sections
    assert any(s and s.startswith("Chương II › Điều 5 › Khoản 2") for s in sections)
    assert "Chương II › Điều 6" in sections
    assert "Chương I › Điều 2" in sections
    clause_two = next(
        c for c in chunks if c.section and c.section.startswith("Chương II › Điều 5 › Khoản 2")
    )
    assert clause_two.text.startswith("2. Nội dung khoản 2")
    assert "a) Học sinh mồ côi" in clause_two.text
    # the article heading is searchable in every clause chunk, not only the first one
    assert "Điều 5. Đối tượng được miễn học phí" in clause_two.context
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_chapter_title_on_next_line_belongs_to_the_heading() -> None:
    chunks = chunk_document(LEGAL)
    article_one = next(c for c in chunks if c.section == "Chương I › Điều 1")
    assert "Chương I QUY ĐỊNH CHUNG" in article_one.context


PLAN = """KẾ HOẠCH
Tuyên truyền về giáo dục năm 2026

I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
- Cung cấp kịp thời thông tin về chính sách giáo dục cho cha mẹ học sinh trên địa bàn xã, nhất
là các quy định mới về tuyển sinh, học phí và hỗ trợ học tập.
2. Yêu cầu
- Thông tin chính xác, dễ hiểu, đúng đối tượng; phản hồi kịp thời ý kiến của người dân về các
vấn đề giáo dục được quan tâm.
II. NỘI DUNG
1. Tuyên truyền
- Tuyên truyền trên trang thông tin điện tử của xã, nhóm Zalo cha mẹ học sinh và loa truyền
thanh của các ấp.
- Tổ chức đối thoại với cha mẹ học sinh vào đầu mỗi học kỳ tại nhà văn hóa xã.
2. Kinh phí
- Kinh phí thực hiện từ nguồn ngân sách xã được giao trong năm và nguồn huy động hợp pháp khác.
"""


def test_small_document_is_one_chunk() -> None:
    chunks = chunk_document(PLAN)
    assert len(chunks) == 1
    assert chunks[0].section is None
    assert chunks[0].text.startswith("KẾ HOẠCH\nTuyên truyền về giáo dục năm 2026")


def test_plan_structure_uses_heading_text_in_the_path() -> None:
    detail = " Nội dung được cập nhật hằng tháng trên trang thông tin điện tử của xã." * 12
    long_plan = (
        PLAN.replace("nhà văn hóa xã.", "nhà văn hóa xã." + detail)
        .replace("hợp pháp khác.", "hợp pháp khác." + detail)
        .replace("vấn đề giáo dục được quan tâm.", "vấn đề giáo dục được quan tâm." + detail)
    )
    sections = [c.section for c in chunk_document(long_plan)]
    assert "I. MỤC ĐÍCH, YÊU CẦU" in sections  # fits in one chunk, so it stays whole
    assert "II. NỘI DUNG › 1. Tuyên truyền" in sections
    assert "II. NỘI DUNG › 2. Kinh phí" in sections


def test_wrapped_pdf_lines_are_joined_into_paragraphs() -> None:
    text = (
        "1. Mục đích\n\n- Cung cấp đầy đủ, toàn diện, kịp thời các thông tin về các chủ trương\n\n"
        "định hướng phát triển của ngành Giáo dục tới cha mẹ học sinh.\n\n- Tạo đồng thuận xã hội."
    )
    chunks = chunk_document(text)
    assert len(chunks) == 1
    lines = chunks[0].text.split("\n")
    assert lines == [
        "1. Mục đích",
        "- Cung cấp đầy đủ, toàn diện, kịp thời các thông tin về các chủ trương định hướng "
        "phát triển của ngành Giáo dục tới cha mẹ học sinh.",
        "- Tạo đồng thuận xã hội.",
    ]


def test_markdown_headings_and_tables() -> None:
    text = """# Lịch năm học

## Học kỳ I

| Việc | Ngày |
|---|---|
| Tựu trường | 26/8 |
| Khai giảng | 5/9 |

## Học kỳ II

Bắt đầu ngay sau khi kết thúc học kỳ I và kết thúc trước ngày 31/5, theo khung kế hoạch của tỉnh.
"""
    chunks = chunk_document(text)
    joined = "\n".join(c.text for c in chunks)
    assert "Tựu trường | 26/8" in joined
    assert "---" not in joined and "|---" not in joined
    assert all(c.section is None or c.section.startswith("Lịch năm học") for c in chunks)


def test_long_section_is_split_with_overlap_at_sentence_ends() -> None:
    sentences = [
        f"Câu số {i} nói về lịch học của khối lớp {i % 12 + 1} trong tuần." for i in range(80)
    ]
    text = "Điều 3. Lịch học\n" + " ".join(sentences)
    chunks = chunk_document(text)
    assert len(chunks) > 2
    assert all(len(c.text) <= MAX_CHARS for c in chunks)
    assert all(c.section == "Điều 3" for c in chunks)
    for previous, current in zip(chunks, chunks[1:], strict=False):
        # overlap: the previous chunk's last sentence opens the next one (with a few before it)
        assert previous.text.rsplit(". ", 1)[-1] in current.text
        assert current.text.split(". ")[0] + "." in previous.text
        assert current.text.endswith(".") and previous.text.endswith(".")  # cut at sentence ends


def test_tiny_fragments_merge_with_neighbours() -> None:
    text = "\n".join(f"{i}. Mục {i} ngắn." for i in range(1, 30))
    chunks = chunk_document(text)
    assert len(chunks) == 1
    assert chunks[0].text.count("\n") == 28


def test_ocr_noise_does_not_explode_into_junk_chunks() -> None:
    rng = random.Random(7)
    junk = "|—*.,;:~`^"
    lines = []
    for i in range(2000):
        if i % 3 == 0:
            lines.append("".join(rng.choice(junk) for _ in range(rng.randint(1, 12))))
        elif i % 3 == 1:
            lines.append(str(rng.randint(1, 300)))  # stray page numbers
        else:
            lines.append(
                f"{rng.randint(1, 40)}. {rng.choice('abcđxyz')} {rng.choice(['hs', 'lớp', 'năm'])}"
            )
    chunks = chunk_document("\n".join(lines))
    total = sum(len(c.text) for c in chunks)
    assert len(chunks) <= total // MIN_CHARS + 1
    assert all(not set(c.text) <= set(junk + "\n ") for c in chunks)


def test_faq_is_one_chunk_whatever_its_length() -> None:
    answer = "Học sinh lớp 1 được miễn học phí. " * 60
    chunks = chunk_document(answer, kind="faq")
    assert len(chunks) == 1
    assert chunks[0].text == answer.strip()
    assert chunks[0].section is None


def test_empty_document_has_no_chunks() -> None:
    assert chunk_document("") == []
    assert chunk_document("---\n\n|---|---|\n12\n") == []


def test_classify_markers() -> None:
    cases = {
        "Chương IV": ("chuong", "IV"),
        "Điều 12. Hồ sơ": ("dieu", "12"),
        "Điều 2, Đối tượng": ("dieu", "2"),
        "Mục 2. Học bổng": ("muc", "2"),
        "II. NỘI DUNG": ("roman", "II"),
        "A. NHIỆM VỤ": ("upper", "A"),
        "3. Kinh phí": ("arabic", "3"),
        "c)[3] Giáo dục nghề": ("letter", "c"),
        "## Điều 7. Học bổng": ("dieu", "7"),
        "### Lịch thi": ("md3", "Lịch thi"),
        "1.2. Chi tiết": ("arabic2", "1.2"),
        "1/Tiếp tục": ("arabic", "1"),
    }
    for line, (kind, label) in cases.items():
        marker = classify(line)
        assert marker is not None, line
        assert (marker.type, marker.label) == (kind, label), line
    for line in (
        "Mục đích của kế hoạch",
        "Điều này áp dụng cho mọi trường",
        "2025 là năm bản lề",
        "- gạch đầu dòng",
    ):
        assert classify(line) is None, line


def test_split_long_hard_splits_text_without_punctuation() -> None:
    pieces = split_long("chữ " * 1000, limit=300, overlap=50)
    assert all(len(p) <= 300 for p in pieces)
    assert "".join(p.replace(" ", "") for p in pieces).count("chữ") >= 1000


def test_search_text_has_title_number_path_questions_and_text() -> None:
    text = build_search_text(
        title="Thông báo học phí",
        number="12/TB",
        section="Điều 1",
        context="Điều 1. Mức thu",
        questions=["Học phí bao nhiêu?"],
        text="100.000 đồng",
    )
    assert text.split("\n") == [
        "Thông báo học phí",
        "Số 12/TB",
        "Điều 1. Mức thu",
        "Học phí bao nhiêu?",
        "100.000 đồng",
    ]
