"""`bot model prepare` / `bot model check`, driven through the typer app in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import model
from retrieval.e5_convert import MODEL_DIR_NAME, STAMP_FILE
from retrieval.settings import get_retrieval_settings


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("RETRIEVAL_MODEL_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("RETRIEVAL_EMBEDDING_MODEL", "")
    get_retrieval_settings.cache_clear()
    yield tmp_path
    get_retrieval_settings.cache_clear()


def test_prepare_converts_and_reports_in_vietnamese(cache_dir: Path) -> None:
    result = CliRunner().invoke(model.app, ["prepare"])
    assert result.exit_code == 0, result.output
    target = cache_dir / MODEL_DIR_NAME
    assert f"Mô hình nhúng sẵn sàng: {target}" in result.output
    assert (target / STAMP_FILE).is_file()
    again = CliRunner().invoke(model.app, ["prepare"])  # second run: already there
    assert again.exit_code == 0 and str(target) in again.output


def test_check_reports_unavailable_model(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETRIEVAL_EMBEDDING_MODEL", "org/model-not-on-this-machine")
    get_retrieval_settings.cache_clear()
    result = CliRunner().invoke(model.app, ["check"])
    assert result.exit_code == 1
    assert "RETRIEVAL_EMBEDDING_MODEL" in result.output
    assert "Lỗi:" in result.output


@pytest.mark.slow
def test_check_embeds_with_default_model(cache_dir: Path) -> None:
    result = CliRunner().invoke(model.app, ["check"])
    assert result.exit_code == 0, result.output
    assert "Mô hình nhúng hoạt động" in result.output and "số chiều 384" in result.output
