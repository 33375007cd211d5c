"""`python -m actions`: the rasa-sdk action server, warmed up.

Same arguments as `python -m rasa_sdk`. The knowledge base (embedding model + index) loads in a
background thread while the server starts, so the first parent's question does not wait ~10 s.
"""

from __future__ import annotations

import logging
import threading

from rasa_sdk.__main__ import main

from actions.answer import warm_up

logger = logging.getLogger(__name__)


def _warm_up_in_background() -> None:
    try:
        warm_up()
    except Exception as error:  # noqa: BLE001 - the server must start even without a knowledge base
        logger.error("knowledge base warm-up failed: %s", type(error).__name__)


if __name__ == "__main__":
    threading.Thread(target=_warm_up_in_background, name="kb-warm-up", daemon=True).start()
    main()
