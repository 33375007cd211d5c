"""Synonyms in the admin web: staff keep the knowledge base's own list; bad lines are named and
nothing is saved; every save is audited; the bundled groups are shown."""

from __future__ import annotations

import html
from pathlib import Path

from admin_client import AdminClient
from kb_helpers import audit_actions

from retrieval.synonyms import groups_for, local_file


async def test_staff_save_a_group_and_the_knowledge_base_uses_it(client_staff: AdminClient,
                                                                 data_dir: Path) -> None:
    page = await client_staff.get("/admin/synonyms")
    assert page.status_code == 200
    assert "cha mẹ học sinh, phụ huynh" in page.text  # a bundled group, shown
    assert 'href="/admin/synonyms"' in page.text  # in the menu

    response = await client_staff.post_form(
        "/admin/synonyms", {"groups": "Tiền ăn bán trú, tiền cơm trưa\nsổ liên lạc điện tử, sổ điện tử"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/synonyms"
    assert local_file(data_dir).exists()
    assert groups_for(data_dir)[:2] == (
        (("tiền", "ăn", "bán", "trú"), ("tiền", "cơm", "trưa")),
        (("sổ", "liên", "lạc", "điện", "tử"), ("sổ", "điện", "tử")))
    assert audit_actions("synonyms.tsv") == [("canbo", "synonyms.update", "synonyms.tsv")]

    page = await client_staff.get("/admin/synonyms")
    assert "Đã lưu 2 nhóm từ đồng nghĩa." in page.text
    assert "tiền ăn bán trú, tiền cơm trưa\nsổ liên lạc điện tử, sổ điện tử</textarea>" in page.text


async def test_a_bad_line_is_named_and_nothing_is_saved(client_staff: AdminClient,
                                                       data_dir: Path) -> None:
    await client_staff.post_form("/admin/synonyms", {"groups": "tiền ăn bán trú, tiền cơm trưa"})
    saved = local_file(data_dir).read_text(encoding="utf-8")

    response = await client_staff.post_form("/admin/synonyms",
                                            {"groups": "tiền ăn bán trú, tiền cơm trưa\nthi, kiểm tra"})
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert "Dòng 2: “thi” chỉ có một tiếng" in text
    assert "tiền ăn bán trú, tiền cơm trưa\nthi, kiểm tra</textarea>" in text  # kept to correct
    assert local_file(data_dir).read_text(encoding="utf-8") == saved
    assert [action for _, action, _ in audit_actions("synonyms.tsv")] == ["synonyms.update"]


async def test_the_synonym_page_needs_a_login(client_anon: AdminClient) -> None:
    response = await client_anon.get("/admin/synonyms")
    assert response.status_code in (302, 303) and "/admin/login" in response.headers["location"]
