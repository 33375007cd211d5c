"""`bot zalo …`: give the running bot new Zalo OA tokens, and see their state.

Zalo refresh tokens are single-use and the bot rotates them in Redis, so after the first
start the values in `ZALO_ACCESS_TOKEN` / `ZALO_REFRESH_TOKEN` are stale. When a refresh
failed (the health check says so) an operator obtains new tokens from the Zalo developer
console and stores them here; every running process picks them up at its next send.
"""

from __future__ import annotations

import asyncio
from typing import Any

import typer

app = typer.Typer(help="Quản lý mã truy cập (token) Zalo OA.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Quản lý mã truy cập (token) Zalo OA."""


def _redis(url: str | None) -> Any:
    import redis.asyncio as aioredis

    if not url:
        from connectors.settings import get_app_settings

        url = get_app_settings().redis_url
    return aioredis.from_url(url)


@app.command("set-tokens")
def set_tokens(
    access_token: str = typer.Option(..., "--access-token", help="Access token mới."),
    refresh_token: str = typer.Option(..., "--refresh-token", help="Refresh token mới."),
    expires_in: float = typer.Option(
        90000, "--expires-in", help="Số giây access token còn hiệu lực (Zalo cấp 90000)."
    ),
    redis_url: str = typer.Option("", "--redis-url", help="Mặc định: APP_REDIS_URL."),
) -> None:
    """Lưu access token và refresh token mới của Zalo OA vào Redis."""
    from connectors.zalo_tokens import STATUS_KEY, store_tokens

    async def store() -> None:
        redis = _redis(redis_url)
        try:
            await store_tokens(redis, access_token.strip(), refresh_token.strip(), expires_in)
            await redis.hset(STATUS_KEY, mapping={"ok": "1", "error": ""})
        finally:
            await redis.aclose()

    if not access_token.strip() or not refresh_token.strip():
        typer.echo("Lỗi: access token và refresh token không được để trống.", err=True)
        raise typer.Exit(code=1)
    asyncio.run(store())
    typer.echo("Đã lưu token Zalo OA mới; các tiến trình đang chạy dùng ngay ở lần gửi tới.")


@app.command("status")
def show_status(
    redis_url: str = typer.Option("", "--redis-url", help="Mặc định: APP_REDIS_URL."),
) -> None:
    """Cho biết token Zalo OA có sẵn không và lần làm mới gần nhất có lỗi không."""
    from connectors.zalo_tokens import status

    async def read() -> dict[str, Any]:
        redis = _redis(redis_url)
        try:
            return await status(redis)
        finally:
            await redis.aclose()

    info = asyncio.run(read())
    typer.echo(f"Có access token: {'có' if info['has_token'] else 'không'}")
    if info["expires_at"]:
        import datetime as dt

        when = dt.datetime.fromtimestamp(info["expires_at"]).strftime("%d/%m/%Y %H:%M")
        typer.echo(f"Hết hạn lúc: {when}")
    if not info["ok"]:
        typer.echo(f"Lần làm mới gần nhất bị lỗi: {info['last_error']}", err=True)
        raise typer.Exit(code=1)
