"""Errors raised by the SQL store's repositories.

Hierarchy (one base, subclasses for failures a caller must tell apart):

    StorageError
    ├── UserExistsError          `create_user` with a taken username
    │                            (CLI: exit 1; admin web: form error)
    ├── InvalidRoleError         a role other than "admin" or "staff"
    └── ReferenceCodeExhausted   no free ticket reference code after several tries
                                 (the action tells the parent to try again)

Database failures themselves surface as `sqlalchemy.exc.SQLAlchemyError`; callers that must keep a
conversation going catch both.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base class of every error raised by the `storage` package."""


class UserExistsError(StorageError):
    """An account with this username already exists."""


class InvalidRoleError(StorageError):
    """The role is not one of `storage.repositories.ROLES`."""


class ReferenceCodeExhausted(StorageError):
    """Every generated reference code collided with an existing ticket."""
