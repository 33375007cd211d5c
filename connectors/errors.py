"""Errors of the connectors and how the app answers them.

```
ConnectorError                 base of everything raised in `connectors`
├── RasaError                  Rasa answered, but not with what the REST channel promises → 502
│   └── RasaUnavailable        Rasa cannot be reached or did not answer in time → 503,
│                              "Hệ thống đang bận, …" to the resident
└── ChatRequestError           a resident's web-chat request is not acceptable → 422 with a
                               Vietnamese message (empty, too long, malformed)
```
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error raised by the connectors."""


class RasaError(ConnectorError):
    """Rasa's reply could not be used (unexpected status or body)."""


class RasaUnavailable(RasaError):
    """Rasa is down, refused the connection, failed with a 5xx or timed out."""


class ChatRequestError(ConnectorError):
    """A web-chat request the app refuses; `str(error)` is the Vietnamese message shown."""
