"""Sender ids "<channel>:<user id>" split into channel and user, the user hashed."""

from __future__ import annotations

import pytest
from trackers import make_tracker

from actions.sender import sender_of, split_sender_id
from storage.privacy import hash_user_id


@pytest.mark.parametrize(("sender_id", "expected"), [
    ("zalo:8412345", ("zalo", "8412345")),
    ("messenger:6021448392021", ("messenger", "6021448392021")),
    ("web:4b1c:9f", ("web", "4b1c:9f")),  # only the first ":" separates
    ("3f2a9c", ("web", "3f2a9c")),  # no channel: web chat / rasa shell
    ("default", ("web", "default")),
    ("telegram:55", ("web", "telegram:55")),  # not a channel of ours
    ("zalo:", ("web", "zalo:")),
])
def test_split_sender_id(sender_id: str, expected: tuple[str, str]) -> None:
    assert split_sender_id(sender_id) == expected


def test_sender_of_hashes_the_user_id_without_the_channel() -> None:
    sender = sender_of(make_tracker(sender_id="zalo:8412345"), salt="s3")
    assert sender.channel == "zalo" and sender.user_id == "8412345"
    assert sender.user_hash == hash_user_id("8412345", "s3")
    assert sender.user_hash != hash_user_id("8412345", "other-salt")
