"""Platform connectors: Zalo OA (`zalo`) and Facebook Messenger (`messenger`).

Each platform module offers `verify(body, headers, …)` on the raw bytes, `parse(payload)` into
`IncomingMessage`s and a sender class whose `async send(recipient, OutgoingMessage)` uses an
injected `httpx.AsyncClient`. The webhook routes are in `connectors.webhooks`, the queue and
worker in `connectors.queue` / `connectors.worker`; `runtime.PlatformRuntime` assembles them.
"""
