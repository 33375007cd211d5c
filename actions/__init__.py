"""Custom actions of the Rasa action server (`python -m actions`, or `python -m rasa_sdk --actions actions`).

One module per feature, each thin: knowledge answers (`answer`), ratings (`rating`), the ticket
forms' validation (`forms`) and submission (`tickets`, with `ticket_categories`), announcement
subscriptions (`subscription`). rasa_sdk imports every submodule of this package itself when it
registers the actions, so this file imports nothing: the admin web can use
`actions.ticket_categories` without loading rasa_sdk and every action.
"""
