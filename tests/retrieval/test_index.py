"""Index sync from SQL: incremental embedding, removal, versions on disk, live reload."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fake_kb import FakeEmbedder, add_document, make_settings, set_status

from retrieval.index import CURRENT_FILE, IndexWatcher, index_dir, load_snapshot, sync_index
from storage.db import reset_caches


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("STORAGE_DATABASE_URL", raising=False)
    reset_caches()
    yield tmp_path
    reset_caches()


def fees(data_dir: Path) -> None:
    add_document(data_dir, "hoc-phi", "Thông báo học phí", [
        ("I. Học phí", "Học phí lớp 1 được miễn."),
        ("II. Bán trú", "Tiền ăn bán trú là 30.000 đồng mỗi ngày."),
    ], kind="announcement")


def test_first_sync_embeds_every_active_chunk_and_writes_a_version(data_dir: Path) -> None:
    fees(data_dir)
    add_document(data_dir, "dong-phuc", "Quy định đồng phục", [(None, "Áo trắng, quần xanh.")])
    embedder = FakeEmbedder()
    stats = sync_index(make_settings(data_dir), embedder=embedder)
    assert (stats.version, stats.added, stats.removed, stats.chunks, stats.documents) == (
        1, 3, 0, 3, 2)
    assert stats.full and stats.changed
    current = json.loads((data_dir / "index" / CURRENT_FILE).read_text())
    assert current["version"] == 1 and (data_dir / "index" / current["path"]).is_dir()
    snapshot = load_snapshot(index_dir(make_settings(data_dir)))
    assert snapshot is not None
    assert len(snapshot.dense) == 3 and len(snapshot.bm25) == 3
    assert set(snapshot.documents) == {"hoc-phi", "dong-phuc"}
    assert snapshot.documents["hoc-phi"].kind == "announcement"


def test_second_sync_embeds_only_new_chunks_and_removes_gone_ones(data_dir: Path) -> None:
    settings = make_settings(data_dir)
    fees(data_dir)
    sync_index(settings, embedder=FakeEmbedder())
    add_document(data_dir, "dong-phuc", "Quy định đồng phục", [(None, "Áo trắng, quần xanh.")])
    embedder = FakeEmbedder()
    stats = sync_index(settings, embedder=embedder)
    assert (stats.version, stats.added, stats.removed, stats.kept) == (2, 1, 0, 2)
    assert len(embedder.encoded_passages) == 1 and "Áo trắng" in embedder.encoded_passages[0]

    set_status(data_dir, "hoc-phi", "retired")
    stats = sync_index(settings, embedder=embedder)
    assert (stats.version, stats.added, stats.removed, stats.chunks) == (3, 0, 2, 1)
    snapshot = load_snapshot(index_dir(settings))
    assert snapshot is not None
    assert set(snapshot.documents) == {"dong-phuc"}
    assert sorted(snapshot.dense.ids().tolist()) == sorted(snapshot.chunks)


def test_nothing_changed_keeps_the_version(data_dir: Path) -> None:
    settings = make_settings(data_dir)
    fees(data_dir)
    sync_index(settings, embedder=FakeEmbedder())
    embedder = FakeEmbedder()
    stats = sync_index(settings, embedder=embedder)
    assert not stats.changed and stats.version == 1 and embedder.encoded_passages == []


def test_replaced_document_is_reembedded_even_if_chunk_ids_are_reused(data_dir: Path) -> None:
    settings = make_settings(data_dir)
    add_document(data_dir, "a", "Tài liệu A", [(None, "Nội dung cũ về học phí.")])
    sync_index(settings, embedder=FakeEmbedder())
    old = load_snapshot(index_dir(settings))
    assert old is not None
    # SQLite reuses the highest rowid after a delete: the new chunk gets the old id.
    add_document(data_dir, "a", "Tài liệu A", [(None, "Nội dung mới về đồng phục.")])
    stats = sync_index(settings, embedder=FakeEmbedder())
    new = load_snapshot(index_dir(settings))
    assert new is not None
    assert stats.added == 1 and stats.removed == 1
    assert [c.text for c in new.chunks.values()] == ["Nội dung mới về đồng phục."]


def test_metadata_change_alone_makes_a_new_version(data_dir: Path) -> None:
    import datetime as dt

    settings = make_settings(data_dir)
    fees(data_dir)
    sync_index(settings, embedder=FakeEmbedder())
    from storage.db import session_scope
    from storage.kb_models import Document

    with session_scope(f"sqlite:///{data_dir / 'bot.sqlite3'}") as session:
        document = session.get(Document, "hoc-phi")
        assert document is not None
        document.valid_until = dt.date(2020, 1, 1)
    stats = sync_index(settings, embedder=FakeEmbedder())
    assert stats.changed and stats.added == 0 and stats.version == 2
    snapshot = load_snapshot(index_dir(settings))
    assert snapshot is not None and snapshot.documents["hoc-phi"].valid_until == "2020-01-01"


def test_other_embedding_model_or_full_flag_rebuilds_everything(data_dir: Path) -> None:
    settings = make_settings(data_dir)
    fees(data_dir)
    sync_index(settings, embedder=FakeEmbedder())
    stats = sync_index(settings, embedder=FakeEmbedder(model_id="other"))
    assert stats.full and stats.added == 2
    stats = sync_index(settings, full=True, embedder=FakeEmbedder(model_id="other"))
    assert stats.full and stats.added == 2 and stats.version == 3


def test_empty_knowledge_base_syncs_and_loads(data_dir: Path) -> None:
    settings = make_settings(data_dir)
    stats = sync_index(settings, embedder=FakeEmbedder())
    assert stats.chunks == 0 and stats.version == 1
    snapshot = load_snapshot(index_dir(settings))
    assert snapshot is not None and len(snapshot.dense) == 0 and len(snapshot.bm25) == 0


def test_old_versions_are_pruned(data_dir: Path) -> None:
    settings = make_settings(data_dir)
    for number in range(5):
        add_document(data_dir, f"d{number}", f"Tài liệu {number}", [(None, f"Nội dung {number}")])
        sync_index(settings, embedder=FakeEmbedder())
    folders = sorted(p.name for p in index_dir(settings).glob("v*"))
    assert folders == ["v00000003", "v00000004", "v00000005"]


def test_watcher_swaps_in_a_new_version(data_dir: Path) -> None:
    settings = make_settings(data_dir)
    watcher = IndexWatcher(settings)
    assert watcher.current() is None
    fees(data_dir)
    sync_index(settings, embedder=FakeEmbedder())
    first = watcher.current()
    assert first is not None and first.version == 1
    assert watcher.current() is first  # unchanged CURRENT: no reload
    add_document(data_dir, "moi", "Thông báo mới", [(None, "Nghỉ học ngày thứ sáu.")])
    sync_index(settings, embedder=FakeEmbedder())
    second = watcher.current()
    assert second is not None and second.version == 2 and "moi" in second.documents
    assert "moi" not in first.documents  # the old version object is untouched


def test_watcher_waits_for_the_reload_interval(data_dir: Path) -> None:
    settings = make_settings(data_dir, reload_interval_seconds=3600.0)
    fees(data_dir)
    sync_index(settings, embedder=FakeEmbedder())
    watcher = IndexWatcher(settings)
    assert watcher.current() is not None
    add_document(data_dir, "moi", "Thông báo mới", [(None, "Nghỉ học.")])
    sync_index(settings, embedder=FakeEmbedder())
    assert watcher.current().version == 1  # type: ignore[union-attr]
    assert watcher.refresh() and watcher.current().version == 2  # type: ignore[union-attr]


def test_watcher_keeps_serving_when_a_version_is_unreadable(data_dir: Path) -> None:
    settings = make_settings(data_dir)
    fees(data_dir)
    sync_index(settings, embedder=FakeEmbedder())
    watcher = IndexWatcher(settings)
    assert watcher.current() is not None
    (index_dir(settings) / CURRENT_FILE).write_text('{"version": 9, "path": "missing"}')
    assert watcher.refresh() is False
    assert watcher.current().version == 1  # type: ignore[union-attr]


def test_new_version_is_announced_on_redis_when_configured(data_dir: Path) -> None:
    import shutil
    import socket
    import subprocess
    import time

    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(server).exists():
        pytest.skip("redis-server not installed")
    import redis

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        subscriber = client.pubsub()
        subscriber.subscribe("retrieval:index")
        subscriber.get_message(timeout=1.0)  # the subscribe confirmation
        fees(data_dir)
        sync_index(make_settings(data_dir, redis_url=f"redis://127.0.0.1:{port}/0"),
                   embedder=FakeEmbedder())
        assert client.get("retrieval:index:version") == b"1"
        message = subscriber.get_message(timeout=2.0)
        assert message is not None and json.loads(message["data"]) == {"version": 1}
        subscriber.close()
        client.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_unreachable_redis_does_not_fail_the_sync(data_dir: Path) -> None:
    fees(data_dir)
    stats = sync_index(make_settings(data_dir, redis_url="redis://127.0.0.1:1/0"),
                       embedder=FakeEmbedder())
    assert stats.version == 1 and (data_dir / "index" / CURRENT_FILE).exists()


def test_reingested_document_reuses_vectors_of_unchanged_passages(data_dir: Path) -> None:
    settings = make_settings(data_dir)
    fees(data_dir)
    # A later row keeps SQLite from reusing the replaced chunks' ids: they get new ones.
    add_document(data_dir, "dong-phuc", "Quy định đồng phục", [(None, "Áo trắng, quần xanh.")])
    sync_index(settings, embedder=FakeEmbedder())
    add_document(data_dir, "hoc-phi", "Thông báo học phí", [
        ("I. Học phí", "Học phí lớp 1 được miễn."),
        ("II. Bán trú", "Tiền ăn bán trú là 35.000 đồng mỗi ngày."),
    ], kind="announcement")
    embedder = FakeEmbedder()
    stats = sync_index(settings, embedder=embedder)
    assert (stats.added, stats.removed, stats.embedded) == (2, 2, 1)
    assert len(embedder.encoded_passages) == 1 and "35.000" in embedder.encoded_passages[0]
    snapshot = load_snapshot(index_dir(settings))
    assert snapshot is not None and len(snapshot.dense) == 3
    by_text = {c.text: c.id for c in snapshot.chunks.values()}
    expected = FakeEmbedder().encode_passages(
        ["Thông báo học phí I. Học phí \nHọc phí lớp 1 được miễn."])
    assert by_text["Học phí lớp 1 được miễn."] > 3  # a new id, yet the same vector
    np.testing.assert_allclose(snapshot.dense.reconstruct(by_text["Học phí lớp 1 được miễn."]),
                               expected[0], atol=1e-6)
