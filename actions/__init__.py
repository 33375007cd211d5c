"""Custom actions of the Rasa action server (`python -m rasa_sdk --actions actions`).

One module per feature, each thin: knowledge answers (`answer`), ratings (`rating`), the ticket
forms' validation (`forms`) and submission (`tickets`), announcement subscriptions
(`subscription`).  Importing them here registers every action with the server.
"""

from actions import answer, forms, rating, subscription, tickets

__all__ = ["answer", "forms", "rating", "subscription", "tickets"]
