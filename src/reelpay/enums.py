"""Closed sets shared by the models, the rules and the API."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa


class AccountType(StrEnum):
    PERSONAL = "PERSONAL"
    BUSINESS = "BUSINESS"


class Visibility(StrEnum):
    PUBLIC = "PUBLIC"
    PRIVATE = "PRIVATE"


class Standing(StrEnum):
    GOOD = "GOOD"
    WARNED = "WARNED"
    RESTRICTED = "RESTRICTED"
    BANNED = "BANNED"


class Role(StrEnum):
    USER = "USER"
    STAFF = "STAFF"


class FollowStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"


def enum_column_type(enum: type[StrEnum], name: str, length: int = 16) -> sa.Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint on every backend."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
