"""Log format of the app and the platform workers, and what their logs must never hold.

httpx logs every request at INFO with its full URL, and some URLs carry a secret: the Graph
API's `?access_token=` (the page token) and Rasa's `/status?token=`.  Its request lines go
to WARNING and above only; failures are logged by our own code without the query string.
"""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET_LOGGERS = ("httpx", "httpcore")


def configure_logging(level: int = logging.INFO) -> None:
    """Root logging at `level`, HTTP client request lines kept out."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
