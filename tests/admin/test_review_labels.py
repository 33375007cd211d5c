"""Labelled questions from review outcomes (`admin.review_labels`) and `bot review export-labels`,
read back by `bot eval`'s own reader."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from admin.review import answer_group, attach_group, dismiss_group
from admin.review_labels import labelled_questions
from bot.cli import app
from bot.cli.ask import read_questions
from retrieval import kb_store
from storage.db import session_scope
from storage.repositories import rate_question, record_question

runner = CliRunner()


def ask(text: str, *, answered: bool = False, doc_ids: tuple[str, ...] = (),
        at: dt.datetime = dt.datetime(2026, 11, 20, 8, 0)) -> int:
    with session_scope() as session:
        row = record_question(session, channel="zalo", user_hash="h", text=text, answered=answered,
                              confidence=0.9 if answered else 0.1, doc_ids=doc_ids)
        row.created_at = at
        return row.id


def seed() -> dict[str, int]:
    with session_scope() as session:
        kb_store.upsert_faq(session=session, faq_id="faq-hoc-phi", questions=["Học phí bao nhiêu?"],
                            answer="Học sinh tiểu học được miễn học phí.")
        kb_store.upsert_faq(session=session, faq_id="faq-cu", questions=["Câu cũ?"], answer="Cũ.")
    ids = {
        "good": ask("Học phí lớp 1 bao nhiêu?", answered=True, doc_ids=("faq-hoc-phi", "x")),
        "good_again": ask("hoc phi lop 1 bao nhieu", answered=True, doc_ids=("faq-hoc-phi",),
                          at=dt.datetime(2026, 11, 21)),
        "bad": ask("Đồng phục giá bao nhiêu?", answered=True, doc_ids=("faq-hoc-phi",)),
        "attached": ask("miễn học phí cho con thế nào"),
        "answered": ask("Trường có xe đưa đón không?"),
        "dismissed": ask("giá vàng hôm nay, gọi 0912345678"),
        "stale": ask("câu hỏi cũ", answered=True, doc_ids=("faq-cu",)),
        "open": ask("wifi của trường"),
        "early": ask("Học phí năm ngoái?", answered=True, doc_ids=("faq-hoc-phi",),
                     at=dt.datetime(2026, 1, 5)),
    }
    with session_scope() as session:
        for key in ("good", "good_again", "stale", "early"):
            rate_question(session, question_id=ids[key], rating="good")
        rate_question(session, question_id=ids["bad"], rating="bad")
        attach_group(session, question_ids=[ids["attached"]], doc_id="faq-hoc-phi", actor="cb")
        answer_group(session, question_ids=[ids["answered"]], answer="Có, xe chạy 6 giờ 30.",
                     variants=["Trường có xe đưa đón không?"], actor="cb")
        dismiss_group(session, question_ids=[ids["dismissed"]], reason="không liên quan", actor="cb")
        kb_store.retire_document(session=session, doc_id="faq-cu")
    return ids


def test_every_review_outcome_gives_its_label(data_dir: Path) -> None:
    seed()
    with session_scope() as session:
        report = labelled_questions(session)
    found = {(item.question, item.expected_doc, item.label) for item in report.labelled}
    answered_faq = next(item.expected_doc for item in report.labelled if item.label == "staff_answer")
    assert answered_faq is not None and answered_faq.startswith("faq-truong-co-xe-dua-don")
    assert found == {
        ("hoc phi lop 1 bao nhieu", "faq-hoc-phi", "rated_good"),  # the newer of the two spellings
        ("miễn học phí cho con thế nào", "faq-hoc-phi", "attached"),
        ("Trường có xe đưa đón không?", answered_faq, "staff_answer"),
        ("giá vàng hôm nay, gọi [số điện thoại]", None, "dismissed"),
        ("Học phí năm ngoái?", "faq-hoc-phi", "rated_good"),
    }
    assert report.skipped == {"stale": 1, "duplicate": 1}
    assert report.answerable == 4
    with session_scope() as session:
        recent = labelled_questions(session, since=dt.date(2026, 11, 1))
    assert "Học phí năm ngoái?" not in {item.question for item in recent.labelled}


def test_export_writes_a_file_bot_eval_reads(data_dir: Path) -> None:
    seed()
    output = data_dir / "labels" / "nhan.jsonl"
    result = runner.invoke(app, ["review", "export-labels", str(output)])
    assert result.exit_code == 0, result.output
    assert f"Đã ghi 5 câu hỏi vào {output}: 4 có tài liệu trả lời, 1 kho tri thức không trả lời được." in result.output
    assert "Bỏ qua 1 câu hỏi vì tài liệu trả lời đã bị xoá hoặc ngừng dùng." in result.output
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [line["asked"] for line in lines] == sorted(line["asked"] for line in lines)
    assert read_questions(output) == [{"question": line["question"], "expected_doc": line["expected_doc"]}
                                      for line in lines]
    assert "0912345678" not in output.read_text(encoding="utf-8")


def test_export_rejects_a_bad_date_and_an_unwritable_path(data_dir: Path) -> None:
    result = runner.invoke(app, ["review", "export-labels", str(data_dir / "x.jsonl"), "--since", "20/11"])
    assert result.exit_code == 2 and "ngày không hợp lệ '20/11'" in result.output
    blocker = data_dir / "tep"
    blocker.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["review", "export-labels", str(blocker / "x.jsonl")])
    assert result.exit_code == 1 and "không ghi được tệp" in result.output
