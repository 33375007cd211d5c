"""`python -m actions`: the rasa-sdk action server in ONE process, warmed up.

Same arguments as `python -m rasa_sdk`.  `rasa_sdk.endpoint.run` serves through Sanic's worker
manager: a primary process plus a worker process that re-creates the app and serves the
requests.  A warm-up started before it would load the embedding model in the primary process,
which never answers a question, and the worker would load its own copy at the first question:
twice the memory (~850 MB more) and a first answer that still waits for the model.  Here the
same app is served by `Sanic.serve_single`, and the knowledge base (embedding model + index)
loads in a background thread of that process while the server starts.

The server listens on `SANIC_HOST` (rasa-sdk's variable), by default 127.0.0.1: only Rasa,
on the same machine, calls it.  When `ACTION_SERVER_TOKEN` is set, a call to run an action (or
to list them) must also carry it, as `endpoints.yml` makes Rasa send it ("Authorization: Bearer
…"): any other process of the machine could otherwise store questions, tickets and feedback in
a parent's name.  `/health` stays open.  gRPC mode (`--grpc`) is left to rasa-sdk as it is.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import threading

from rasa_sdk import utils
from rasa_sdk.__main__ import main_from_args
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser, create_ssl_config
from rasa_sdk.executor import ActionExecutor
from sanic import HTTPResponse, Request, Sanic
from sanic.response import json as json_response

from actions.answer import warm_up

logger = logging.getLogger(__name__)
DEFAULT_HOST = "127.0.0.1"
TOKEN_ENV = "ACTION_SERVER_TOKEN"
OPEN_PATHS = frozenset({"/health"})  # what a caller without the token may ask


def _warm_up_in_background() -> None:
    try:
        warm_up()
    except Exception as error:  # noqa: BLE001 - the server must start even without a knowledge base
        logger.error("knowledge base warm-up failed: %s", type(error).__name__)


def create_app(args: argparse.Namespace) -> Sanic:
    """The rasa-sdk app for the action package named in `args`, with logging set up like
    `rasa_sdk.__main__.main_from_args` does."""
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file,
                                 args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    if args.auto_reload:
        logger.warning("--auto-reload is not supported in one process; restart to reload actions")
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    app = create_app_for_serve(executor, cors_origins=args.cors, auto_reload=False,
                               endpoints=args.endpoints)
    token = os.environ.get(TOKEN_ENV, "")
    if token:
        require_token(app, token)
    else:
        logger.warning("%s is not set: any local process may run actions", TOKEN_ENV)
    return app


def require_token(app: Sanic, token: str) -> None:
    """Refuse (401) every request but `OPEN_PATHS` without "Authorization: Bearer <token>"."""
    expected = f"Bearer {token}".encode()

    async def check(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = (request.headers.get("authorization") or "").encode()
        if hmac.compare_digest(given, expected):
            return None
        logger.warning("refused a call to %s without the action server token", request.path)
        return json_response({"error": "missing or wrong action server token"}, status=401)

    app.on_request(check)


def serve(args: argparse.Namespace) -> None:
    """Serve the action server in this process; warm up the knowledge base meanwhile."""
    app = create_app(args)
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = os.environ.get("SANIC_HOST", DEFAULT_HOST)
    app.prepare(host=host, port=args.port, ssl=ssl, single_process=True, motd=False)
    logger.info("Action endpoint is up and running on %s://%s:%s",
                "https" if ssl else "http", host, args.port)
    threading.Thread(target=_warm_up_in_background, name="kb-warm-up", daemon=True).start()
    Sanic.serve_single(app)


def main(argv: list[str] | None = None) -> None:
    args = create_argument_parser().parse_args(argv)
    if args.grpc:
        main_from_args(args)
    else:
        serve(args)


if __name__ == "__main__":
    main()
