"""Fake platform and Rasa servers on loopback ports, recording every request they receive."""
