"""GraphQL enums for the domain's closed sets."""

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

from reelpay.accounts.switching import ProFeature as _ProFeature
from reelpay.enums import AccountType as _AccountType
from reelpay.enums import FollowStatus as _FollowStatus
from reelpay.enums import Role as _Role
from reelpay.enums import Standing as _Standing
from reelpay.enums import Visibility as _Visibility

E = TypeVar("E", bound=type[Enum])


def described_enum(cls: E, description: str, values: Mapping[str, str]) -> E:
    """`strawberry.enum` with a description for the type and for every value (by name), so the
    docs pane explains each member; a member left out, or a name not in it, fails at import."""
    names = {member.name for member in cls}  # type: ignore[attr-defined]
    if set(values) != names:
        missing, extra = sorted(names - set(values)), sorted(set(values) - names)
        raise ValueError(f"{cls.__name__}: undescribed {missing}, unknown {extra}")
    wrapped = strawberry.enum(cls, description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[value.name]
    return wrapped


AccountType = strawberry.enum(_AccountType, description="PERSONAL, or BUSINESS (the pro account).")
Visibility = strawberry.enum(_Visibility)
Standing = strawberry.enum(_Standing, description="Community-guideline standing.")
Role = strawberry.enum(_Role)
FollowStatus = strawberry.enum(
    _FollowStatus,
    description="PENDING: a request a private account has not approved yet.",
)
ProFeature = strawberry.enum(_ProFeature, description="What only pro (BUSINESS) accounts have.")
