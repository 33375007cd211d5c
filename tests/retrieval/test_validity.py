"""The validity policy for announcements without `valid_until` (end of their school year)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fake_kb import FakeEmbedder, add_document, make_settings

from retrieval.index import DocumentRecord, index_dir, load_snapshot, sync_index
from retrieval.searcher import Searcher, in_force, recent, school_year_end, valid_until
from retrieval.settings import RetrievalSettings
from retrieval.types import SearchContext
from storage.db import reset_caches

SETTINGS = RetrievalSettings(data_dir=Path("/nonexistent"))


def notice(**fields: str) -> DocumentRecord:
    return DocumentRecord(id="tb", title=fields.pop("title", "Thông báo"), kind="announcement",
                          **fields)


@pytest.mark.parametrize(("issued", "end"), [
    ("2024-03-09", "2024-08-31"),  # during the school year: its 31 August
    ("2024-08-16", "2025-08-31"),  # back-to-school notice: belongs to the next school year
    ("2024-07-10", "2024-08-31"),  # enrolment results before 1 August
    ("2024-08-31", "2025-08-31"),
    ("2024-09-05", "2025-08-31"),
])
def test_school_year_end_of_an_issued_date(issued: str, end: str) -> None:
    assert school_year_end(dt.date.fromisoformat(issued), SETTINGS) == dt.date.fromisoformat(end)


def test_announcement_without_valid_until_expires_with_its_school_year() -> None:
    document = notice(issued="2024-08-16")
    assert valid_until(document, SETTINGS) == dt.date(2025, 8, 31)
    assert in_force(document, dt.date(2025, 8, 31), SETTINGS)
    assert not in_force(document, dt.date(2025, 9, 1), SETTINGS)
    assert not in_force(document, dt.date(2026, 11, 28), SETTINGS)


def test_explicit_valid_until_and_other_kinds_are_left_alone() -> None:
    assert valid_until(notice(issued="2024-03-09", valid_until="2030-01-01"),
                       SETTINGS) == dt.date(2030, 1, 1)
    law = DocumentRecord(id="luat", title="Luật Giáo dục 2019", kind="document", issued="2019-06-14")
    faq = DocumentRecord(id="faq", title="Hỏi đáp 2020", kind="faq")
    assert valid_until(law, SETTINGS) is None and valid_until(faq, SETTINGS) is None
    assert in_force(law, dt.date(2040, 1, 1), SETTINGS)


def test_undated_announcement_falls_back_to_valid_from_then_the_title_year() -> None:
    assert valid_until(notice(valid_from="2025-01-02"), SETTINGS) == dt.date(2025, 8, 31)
    titled = notice(title="Danh mục sách giáo khoa lớp 10 năm học 2024-2025")
    assert valid_until(titled, SETTINGS) == dt.date(2025, 8, 31)
    assert valid_until(notice(title="Những điều cần lưu ý cho học sinh"), SETTINGS) is None


def test_open_policy_and_settings_knobs() -> None:
    document = notice(issued="2024-03-09")
    assert valid_until(document, SETTINGS.model_copy(
        update={"announcement_validity": "open"})) is None
    assert valid_until(document, None) is None  # no settings: only the explicit window
    june = SETTINGS.model_copy(update={"school_year_end": "06-30", "school_year_grace_days": 0})
    assert valid_until(document, june) == dt.date(2024, 6, 30)


def test_settings_read_the_policy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETRIEVAL_ANNOUNCEMENT_VALIDITY", "open")
    monkeypatch.setenv("RETRIEVAL_SCHOOL_YEAR_END", "05-31")
    settings = RetrievalSettings()
    assert (settings.announcement_validity, settings.school_year_end) == ("open", "05-31")
    monkeypatch.setenv("RETRIEVAL_ANNOUNCEMENT_VALIDITY", "forever")
    with pytest.raises(ValueError):
        RetrievalSettings()


def test_recent_means_upcoming_or_expired_within_a_year() -> None:
    today = dt.date(2026, 11, 28)
    assert recent(notice(valid_from="2027-01-18"), today, SETTINGS)
    assert recent(notice(valid_until="2026-02-23"), today, SETTINGS)
    assert not recent(notice(issued="2024-08-16"), today, SETTINGS)


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    reset_caches()
    add_document(tmp_path, "tuu-truong-2024", "Thông báo tựu trường năm học 2024-2025", [
        (None, "Học sinh tựu trường lúc 7 giờ ngày 26 tháng 8, khai giảng ngày 5 tháng 9."),
    ], kind="announcement", issued=dt.date(2024, 8, 16))
    add_document(tmp_path, "dieu-le", "Điều lệ trường phổ thông", [
        (None, "Năm học bắt đầu từ tháng 9; ngày khai giảng do tỉnh quyết định."),
    ], issued=dt.date(2020, 9, 1))
    yield tmp_path
    reset_caches()


def _ids(data_dir: Path, today: dt.date, **overrides: object) -> list[str]:
    settings = make_settings(data_dir, **overrides)
    sync_index(settings, embedder=FakeEmbedder())
    snapshot = load_snapshot(index_dir(settings))
    assert snapshot is not None
    result = Searcher(snapshot, FakeEmbedder(), settings).search(
        "ngày tựu trường khai giảng", SearchContext(today=today))
    return [hit.document.id for hit in result.best_per_document()]


def test_search_drops_an_old_notice_without_end_date(data_dir: Path) -> None:
    assert _ids(data_dir, dt.date(2024, 9, 1))[0] == "tuu-truong-2024"
    later = _ids(data_dir, dt.date(2026, 11, 28))
    assert "tuu-truong-2024" not in later and later[0] == "dieu-le"
    assert "tuu-truong-2024" in _ids(data_dir, dt.date(2026, 11, 28),
                                     announcement_validity="open")
