"""Waiting for something the running stack does in the background (sync tests).

A guard against hanging, not a speed assertion: the timeouts are generous, and speed goals are
measured by `make bench`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(read: Callable[[], T], done: Callable[[T], object], *, timeout: float,
         interval: float = 0.2) -> T:
    """Call `read()` until `done(value)` holds or `timeout` seconds passed; the last value.

    The caller asserts on the value, so a failure shows what was seen last.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def wait_until(check: Callable[[], T], *, timeout: float, what: str, interval: float = 0.2) -> T:
    """`check()`'s first truthy value; AssertionError naming `what` after `timeout` seconds."""
    value = poll(check, bool, timeout=timeout, interval=interval)
    assert value, f"{what}: not within {timeout:g} s"
    return value
