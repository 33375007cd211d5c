"""The FastAPI application: platform webhooks (Zalo OA, Messenger), web chat, health, admin web.

Webhooks acknowledge at once; turning a platform event into an `IncomingMessage` is separate from
sending `OutgoingMessage`s back (see `connectors/messages.py`).
"""
