"""The Rasa side of the bot (domain, custom NLU component) and the `bot` command line.

Rasa (Python 3.10) imports `bot.components`; keep this package free of imports so that
it loads there without the application's dependencies.
"""
