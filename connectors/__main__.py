"""`python -m connectors`: serve the app with uvicorn on `APP_HOST:APP_PORT`."""

from __future__ import annotations

import uvicorn

from connectors.settings import get_app_settings


def run() -> None:
    settings = get_app_settings()
    uvicorn.run(
        "connectors.app:main",
        factory=True,
        host=settings.host,
        port=settings.port,
        proxy_headers=True,
        log_level="info",
    )


if __name__ == "__main__":
    run()
