"""`bot kb add|list|show|retire|remove|reindex` as staff use them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import retrieval.ingest
from bot.cli.kb import app
from storage.db import session_scope
from storage.kb_models import Document

runner = CliRunner()

PLAN = """---
id: "kh-khai-giang"
title: "Kế hoạch tổ chức lễ khai giảng"
number: "45/KH-THHS"
issuer: "Trường Tiểu học Hoa Sen"
issued: "12/8/2024"
valid_from: 2024-08-12
valid_until: 2024-09-30
---
I. THỜI GIAN
Lễ khai giảng bắt đầu lúc 7 giờ ngày 5/9/2024 tại sân trường.
II. TRANG PHỤC
Học sinh mặc đồng phục, đeo khăn quàng đỏ.
"""

FAQ = """---
id: "faq-dong-phuc"
kind: faq
questions: ["Có bắt buộc mặc đồng phục không?"]
---
Học sinh mặc đồng phục vào thứ Hai và các ngày lễ.
"""


class FakeStats:
    version = 3
    changed = True
    added = 2
    removed = 0
    chunks = 2
    documents = 2


@pytest.fixture()
def sync_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    calls: list[bool] = []

    def fake_sync(settings: Any = None, full: bool = False) -> FakeStats:
        calls.append(full)
        return FakeStats()

    monkeypatch.setattr(retrieval.ingest, "_load_sync_index", lambda: fake_sync)
    return calls


@pytest.fixture()
def sources(data_dir: Path) -> Path:
    folder = data_dir / "nguon"
    folder.mkdir()
    (folder / "kh.md").write_text(PLAN, encoding="utf-8")
    (folder / "faq.md").write_text(FAQ, encoding="utf-8")
    return folder


def test_add_prints_one_line_per_file_and_a_summary(sources: Path, sync_calls: list[bool]) -> None:
    result = runner.invoke(app, ["add", str(sources), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "✓ thêm mới   faq-dong-phuc  (1 đoạn)" in result.output
    assert "✓ thêm mới   kh-khai-giang" in result.output
    assert "Tổng cộng 2 tệp: 2 thêm mới, 0 thay thế, 0 không đổi, 0 lỗi." in result.output
    assert "Đã cập nhật chỉ mục (phiên bản 3): thêm 2 đoạn, bỏ 0 đoạn." in result.output
    assert sync_calls == [False]
    again = runner.invoke(app, ["add", str(sources / "kh.md"), "-q"])
    assert "= không đổi  kh-khai-giang" in again.output
    assert sync_calls == [False]  # unchanged: the index is not touched


def test_add_reports_errors_with_exit_code(data_dir: Path, sync_calls: list[bool]) -> None:
    bad = data_dir / "hong.pdf"
    bad.write_bytes(b"%PDF-1.4\nnot really a pdf")
    result = runner.invoke(app, ["add", str(bad), "-q"])
    assert result.exit_code == 1
    assert "Tệp hong.pdf là PDF bị hỏng, không đọc được." in result.output
    assert sync_calls == []


def test_list_shows_kind_number_validity_and_chunks(sources: Path, sync_calls: list[bool]) -> None:
    runner.invoke(app, ["add", str(sources), "-q", "--no-index"])
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "Mã",
        "Loại",
        "Tiêu",
        "đề",
        "Số",
        "hiệu",
        "Hiệu",
        "lực",
        "Trạng",
        "thái",
        "Đoạn",
    ]
    plan = next(line for line in lines if line.startswith("kh-khai-giang"))
    assert "văn bản" in plan and "45/KH-THHS" in plan and "12/08/2024 – 30/09/2024" in plan
    assert "hết hạn" in plan  # the plan ended on 30/9/2024
    faq = next(line for line in lines if line.startswith("faq-dong-phuc"))
    assert "hỏi đáp" in faq and "không thời hạn" in faq and "còn hiệu lực" in faq
    assert plan.split()[-1] == "1" and faq.split()[-1] == "1"
    assert lines[-1] == "2 tài liệu, 2 đoạn."
    assert sync_calls == []


def test_list_empty_knowledge_base(data_dir: Path) -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "Kho tri thức chưa có tài liệu nào" in result.output


def test_show_prints_metadata_and_sections(sources: Path, sync_calls: list[bool]) -> None:
    runner.invoke(app, ["add", str(sources), "-q", "--no-index"])
    result = runner.invoke(app, ["show", "kh-khai-giang", "--full"])
    assert result.exit_code == 0
    assert "Tiêu đề: Kế hoạch tổ chức lễ khai giảng" in result.output
    assert "Số hiệu: 45/KH-THHS" in result.output
    assert "Cơ quan ban hành: Trường Tiểu học Hoa Sen" in result.output
    assert "Ngày ban hành: 12/08/2024" in result.output
    assert "Lễ khai giảng bắt đầu lúc 7 giờ ngày 5/9/2024 tại sân trường." in result.output
    faq = runner.invoke(app, ["show", "faq-dong-phuc"])
    assert "Câu hỏi: Có bắt buộc mặc đồng phục không?" in faq.output
    missing = runner.invoke(app, ["show", "khong-co"])
    assert missing.exit_code == 1
    assert "Không tìm thấy tài liệu có mã khong-co." in missing.output


def test_retire_and_remove(sources: Path, sync_calls: list[bool]) -> None:
    runner.invoke(app, ["add", str(sources), "-q", "--no-index"])
    retired = runner.invoke(app, ["retire", "kh-khai-giang"])
    assert retired.exit_code == 0
    assert "Đã ngừng dùng tài liệu kh-khai-giang" in retired.output
    with session_scope() as session:
        assert session.get(Document, "kh-khai-giang").status == "retired"
    listed = runner.invoke(app, ["list", "--active"])
    assert "kh-khai-giang" not in listed.output
    cancelled = runner.invoke(app, ["remove", "faq-dong-phuc"], input="n\n")
    assert cancelled.exit_code == 1 and "Đã huỷ." in cancelled.output
    removed = runner.invoke(app, ["remove", "faq-dong-phuc"], input="y\n")
    assert removed.exit_code == 0
    assert "Đã xoá tài liệu faq-dong-phuc." in removed.output
    with session_scope() as session:
        assert session.scalars(select(Document.id)).all() == ["kh-khai-giang"]
    assert sync_calls == [False, False]


def test_reindex_rebuilds_everything(data_dir: Path, sync_calls: list[bool]) -> None:
    result = runner.invoke(app, ["reindex"])
    assert result.exit_code == 0
    assert "Đã lập lại toàn bộ chỉ mục (phiên bản 3): 2 đoạn, 2 tài liệu." in result.output
    assert sync_calls == [True]
