"""Documents in the admin web: upload with checks, preview, publish, replace, retire, list."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pytest
from kb_files import blank_pdf, docx_bytes, museum_docx, png_bytes
from kb_helpers import ask, audit_actions, doc_ids_in_table, preview_token, upload

from admin.settings import AdminSettings
from retrieval.kb_store import add_or_replace_document, document_history, get_document
from retrieval.types import ChunkDraft, DocumentMeta
from storage.db import session_scope

QUESTION = "lịch tham quan bảo tàng tỉnh của khối 7 là ngày nào"


@pytest.fixture()
def admin_settings(admin_settings: AdminSettings) -> AdminSettings:
    """The conftest's settings with a 1 MB upload limit (so "too big" is cheap to test)."""
    return admin_settings.model_copy(update={"upload_max_mb": 1, "expiring_days": 14})


def _staging(data_dir: Path) -> list[Path]:
    root = data_dir / "uploads"
    return list(root.iterdir()) if root.is_dir() else []


async def test_upload_page_names_formats_and_limit(client_staff) -> None:
    page = await client_staff.get("/admin/documents/upload")
    assert page.status_code == 200
    assert "DOCX, PDF có chữ, TXT, MD, HTML; tối đa 1 MB" in page.text
    assert 'name="csrf_token"' in page.text and 'enctype="multipart/form-data"' in page.text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("anh.pdf", png_bytes(), "Tệp anh.pdf có đuôi .pdf nhưng nội dung không phải PDF (nội dung là ảnh PNG)."),
        ("ke-hoach.docx", blank_pdf(), "Tệp ke-hoach.docx có đuôi .docx nhưng nội dung không phải văn bản Word"),
        ("lon.txt", b"x" * (1024 * 1024 + 10), "vượt giới hạn 1 MB"),
        ("rong.md", b"", "Tệp rong.md rỗng, không có nội dung."),
        ("ban-quet.pdf", blank_pdf(), "Tệp ban-quet.pdf không có lớp chữ (có thể là bản quét)"),
    ],
)
async def test_bad_uploads_are_refused_with_a_clear_message(client_staff, data_dir: Path, name: str, data: bytes,
                                                            message: str) -> None:
    response = await upload(client_staff, name, data, {"title": "Thử"})
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert 'value="Thử"' in response.text  # what was typed is kept
    assert _staging(data_dir) == []
    with session_scope() as session:
        from storage.kb_models import Document

        assert session.query(Document).count() == 0


async def test_preview_lists_chunks_escaped_and_inferred_values(client_staff, data_dir: Path) -> None:
    data = docx_bytes("Thông báo họp phụ huynh", [
        "Số: 07/TB-THCS", "THÔNG BÁO", "Về việc họp phụ huynh",
        "1. Thời gian họp",
        "Buổi họp phụ huynh toàn trường diễn ra lúc 8 giờ sáng Chủ nhật ngày 22/3/2026 tại hội trường. " * 8,
        "2. Nội dung",
        "Ghi chú của nhà trường: <script>alert('x')</script> là chữ, không phải mã. " * 10,
    ])
    token = preview_token(await upload(client_staff, "hop-phu-huynh.docx", data, {"valid_until": "2026-03-22"}))
    page = await client_staff.get(f"/admin/documents/preview/{token}")
    assert page.status_code == 200
    text = page.text
    assert "<script>alert" not in text and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    assert "1. Thời gian họp" in text and "2. Nội dung" in text  # section paths of the chunks
    assert 'name="number" value="07/TB-THCS"' in text  # inferred from the header …
    assert "tự nhận từ nội dung văn bản, hãy kiểm tra" in text  # … and marked as such
    assert 'name="valid_until" value="2026-03-22"' in text
    assert "do bạn nhập" in text
    assert text.count('class="chunk"') >= 2
    with session_scope() as session:  # nothing is published by a preview
        from storage.kb_models import Document

        assert session.query(Document).count() == 0


async def test_preview_corrections_are_kept_and_bad_ones_refused(client_staff) -> None:
    token = preview_token(await upload(client_staff, "tham-quan.docx", museum_docx()))
    form = {"title": "Tham quan bảo tàng (đã sửa)", "kind": "announcement", "action": "update"}
    response = await client_staff.post_form(f"/admin/documents/preview/{token}", form)
    assert response.status_code == 303 and response.headers["location"].endswith(token)
    page = await client_staff.get(f"/admin/documents/preview/{token}")
    assert "Xem trước: Tham quan bảo tàng (đã sửa)" in page.text
    bad = await client_staff.post_form(f"/admin/documents/preview/{token}", {"valid_until": "31/02/2026"})
    assert bad.status_code == 400 and "Hiệu lực đến ngày “31/02/2026” không hợp lệ" in html.unescape(bad.text)


async def test_discard_removes_the_staged_file(client_staff, data_dir: Path) -> None:
    token = preview_token(await upload(client_staff, "tham-quan.docx", museum_docx()))
    assert len(_staging(data_dir)) == 1
    response = await client_staff.post_form(f"/admin/documents/preview/{token}/discard")
    assert response.status_code == 303 and response.headers["location"] == "/admin/documents"
    assert _staging(data_dir) == []
    assert (await client_staff.get(f"/admin/documents/preview/{token}")).status_code == 404


@pytest.mark.slow
async def test_publish_replace_and_retire(client_staff, data_dir: Path) -> None:
    fields = {"title": "Kế hoạch tham quan bảo tàng tỉnh", "number": "21/KH-THCS", "issued": "2026-03-02",
              "school": "THCS An Bình", "grade": "7"}
    token = preview_token(await upload(client_staff, "tham-quan.docx", museum_docx(), fields))
    published = await client_staff.post_form(f"/admin/documents/preview/{token}", {**fields, "action": "publish"})
    assert published.status_code == 303 and published.headers["location"] == "/admin/documents/tham-quan"
    assert _staging(data_dir) == []
    page = await client_staff.get("/admin/documents/tham-quan")
    assert "Đã thêm “Kế hoạch tham quan bảo tàng tỉnh”" in page.text and "Đã cập nhật chỉ mục" in page.text
    answer = ask(QUESTION)
    assert answer.answered and answer.sources[0].doc_id == "tham-quan", answer
    assert "14/3/2026" in answer.answer and "Nguồn: Kế hoạch tham quan bảo tàng tỉnh, số 21/KH-THCS" in answer.answer

    # A new version: the museum and the date change, the old metadata stays in the history.
    replace_form = await client_staff.get("/admin/documents/upload?replace=tham-quan")
    assert 'name="replace_id" value="tham-quan"' in replace_form.text and 'value="21/KH-THCS"' in replace_form.text
    new_file = museum_docx("Bảo tàng Cách mạng tỉnh")
    token = preview_token(await upload(client_staff, "ke-hoach-moi.docx", new_file,
                                       {**fields, "number": "21b/KH-THCS", "replace_id": "tham-quan"}))
    preview = await client_staff.get(f"/admin/documents/preview/{token}")
    assert 'id="replace-note"' in preview.text
    await client_staff.post_form(f"/admin/documents/preview/{token}", {**fields, "number": "21b/KH-THCS",
                                                                      "action": "publish"})
    with session_scope() as session:
        stored = get_document(session=session, doc_id="tham-quan")
        history = document_history(session=session, doc_id="tham-quan")
    assert stored.version == 2 and stored.meta.number == "21b/KH-THCS"
    assert [(h["version"], h["reason"], h["metadata"]["number"]) for h in history] == [(1, "replaced", "21/KH-THCS")]
    detail = await client_staff.get("/admin/documents/tham-quan")
    assert 'id="history"' in detail.text and "Bảo tàng Cách mạng tỉnh" in detail.text

    confirm = await client_staff.get("/admin/documents/tham-quan/retire")
    assert confirm.status_code == 200 and 'id="confirm-retire"' in confirm.text
    retired = await client_staff.post_form("/admin/documents/tham-quan/retire")
    assert retired.status_code == 303 and retired.headers["location"] == "/admin/documents"
    after = ask(QUESTION)
    assert all(source.doc_id != "tham-quan" for source in after.sources), after
    with session_scope() as session:
        assert get_document(session=session, doc_id="tham-quan").status == "retired"
    assert audit_actions("tham-quan") == [("canbo", "document.add", "tham-quan"),
                                          ("canbo", "document.replace", "tham-quan"),
                                          ("canbo", "document.retire", "tham-quan")]


def _add(doc_id: str, title: str, *, kind: str = "document", school: str | None = None,
         valid_from: dt.date | None = None, valid_until: dt.date | None = None) -> None:
    meta = DocumentMeta(id=doc_id, title=title, kind=kind, school=school, valid_from=valid_from,
                        valid_until=valid_until, number="5/TB" if doc_id == "nghi-tet" else None)
    with session_scope() as session:
        add_or_replace_document(session=session, meta=meta, chunks=[ChunkDraft(0, f"Nội dung {title}.")],
                                content_hash=doc_id)


async def test_list_searches_and_filters(client_staff) -> None:
    today = dt.date.today()
    _add("hoc-phi", "Quy định học phí", school="THCS An Bình")
    _add("nghi-tet", "Lịch nghỉ Tết", kind="announcement", valid_until=today + dt.timedelta(days=5))
    _add("khai-giang", "Lễ khai giảng cũ", kind="announcement", valid_until=today - dt.timedelta(days=1))
    _add("tuyen-sinh", "Tuyển sinh lớp 10", valid_from=today + dt.timedelta(days=30))
    _add("cu", "Văn bản cũ")
    with session_scope() as session:
        from retrieval.kb_store import retire_document

        retire_document(session=session, doc_id="cu")

    async def ids(query: str) -> list[str]:
        page = await client_staff.get(f"/admin/documents{query}")
        assert page.status_code == 200
        return doc_ids_in_table(page.text, "documents")

    assert set(await ids("")) == {"hoc-phi", "nghi-tet", "khai-giang", "tuyen-sinh", "cu"}
    assert (await ids(""))[0] == "nghi-tet"  # expiring first
    assert await ids("?q=hoc+phi") == ["hoc-phi"]  # diacritics ignored
    assert await ids("?q=5%2FTB") == ["nghi-tet"]  # by number
    assert set(await ids("?kind=announcement")) == {"nghi-tet", "khai-giang"}
    assert await ids("?school=THCS+An+B%C3%ACnh") == ["hoc-phi"]
    assert await ids("?state=expiring") == ["nghi-tet"]
    assert await ids("?state=expired") == ["khai-giang"]
    assert await ids("?state=upcoming") == ["tuyen-sinh"]
    assert await ids("?state=retired") == ["cu"]
    assert set(await ids("?state=active")) == {"hoc-phi", "nghi-tet"}
    page = await client_staff.get("/admin/documents?state=expiring")
    assert "Sắp hết hạn" in page.text and "(còn 5 ngày)" in page.text


async def test_unknown_document_and_preview_are_404(client_staff) -> None:
    assert (await client_staff.get("/admin/documents/khong-co")).status_code == 404
    assert (await client_staff.get("/admin/documents/preview/" + "a" * 24)).status_code == 404
    assert (await client_staff.post_form("/admin/documents/khong-co/retire")).status_code == 404



class _BigUpload:
    """A 10 MB multipart upload streamed in 64 KB pieces, counting the pieces the app reads."""

    PIECES, PIECE = 160, 65536

    def __init__(self, csrf_token: str) -> None:
        self.head = (b'--xyz\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
                     + csrf_token.encode() + b'\r\n--xyz\r\nContent-Disposition: form-data; '
                     b'name="file"; filename="lon.txt"\r\nContent-Type: text/plain\r\n\r\n')
        self.tail = b"\r\n--xyz--\r\n"
        self.pulled = 0

    def size(self) -> int:
        return len(self.head) + self.PIECES * self.PIECE + len(self.tail)

    async def body(self):  # type: ignore[no-untyped-def]
        yield self.head
        for _ in range(self.PIECES):
            self.pulled += 1
            yield b"x" * self.PIECE
        yield self.tail


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
async def test_an_upload_far_over_the_limit_is_refused_before_it_is_received(
        client_staff, data_dir: Path, declared: bool) -> None:
    upload = _BigUpload(await client_staff.csrf_token())
    headers = {"Content-Type": "multipart/form-data; boundary=xyz"}
    if declared:
        headers["Content-Length"] = str(upload.size())
    response = await client_staff.post("/admin/documents/upload", content=upload.body(),
                                       headers=headers)
    assert response.status_code == 413
    assert "Tệp quá lớn" in response.text
    assert "vượt quá 1 MB cho phép" in html.unescape(response.text)
    # Chunked: stopped a little after 2 MB (1 MB limit + the form allowance), not at 10 MB;
    # declared too large: refused before reading anything.
    assert upload.pulled == 0 if declared else 16 <= upload.pulled < 40
    assert _staging(data_dir) == []
