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


def described_enum(
    cls: E, description: str, values: Mapping[str, str], *, name: str | None = None
) -> E:
    """`strawberry.enum` with a description for the type and for every value (by name), so the
    docs pane explains each member; a member left out, or a name not in it, fails at import.
    `name` renames the GraphQL type (default: the class name)."""
    names = {member.name for member in cls}  # type: ignore[attr-defined]
    if set(values) != names:
        missing, extra = sorted(names - set(values)), sorted(set(values) - names)
        raise ValueError(f"{cls.__name__}: undescribed {missing}, unknown {extra}")
    wrapped = strawberry.enum(cls, name=name, description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[value.name]
    return wrapped


AccountType = described_enum(
    _AccountType,
    "Whether an account is a person's own or a pro one. Switching is free, instant and "
    "reversible (`switchAccountType`).",
    {
        "PERSONAL": "A personal account: no pinned videos, analytics, website or contact "
        "email; the only type that can join Creator Rewards, Tips and the Creator Marketplace.",
        "BUSINESS": "A pro account: pins up to 3 videos, sees advanced analytics and shows a "
        "website and contact email.",
    },
)
Visibility = described_enum(
    _Visibility,
    "Who may see an account's content, or a video.",
    {
        "PUBLIC": "Everyone, anonymous visitors included.",
        "PRIVATE": "On an account: only its approved followers (and staff) see its videos and "
        "lists; others must send a follow request. On a video: only its owner and staff.",
    },
)
Standing = described_enum(
    _Standing,
    "Community-guideline standing, set by staff (`setAccountStanding`). Joining a program "
    "needs GOOD.",
    {
        "GOOD": "No strikes: the standing criterion of every program is met.",
        "WARNED": "A strike on record: applications to programs fail the standing criterion; "
        "programs already joined keep earning.",
        "RESTRICTED": "Monetization is suspended (no new sales, gifts or tips), payouts are "
        "suspended and the account cannot go LIVE; money already earned stays earned.",
        "BANNED": "As RESTRICTED, for the most serious strikes.",
    },
)
Role = described_enum(
    _Role,
    "What an account may do beyond its own content.",
    {
        "USER": "A member: acts on their own account only.",
        "STAFF": "Platform staff: reviews applications, sets standing, refunds purchases and "
        "sees private fields of every account.",
    },
)
FollowStatus = described_enum(
    _FollowStatus,
    "Where a follow stands.",
    {
        "PENDING": "A request a private account has not approved yet: it counts nowhere and "
        "shows nothing private until approved.",
        "ACCEPTED": "Following: counted in followerCount and followingCount.",
    },
)
ProFeature = described_enum(
    _ProFeature,
    "What only pro (BUSINESS) accounts have.",
    {
        "PINNED_VIDEOS": "Up to 3 videos pinned at the top of the profile (remembered while "
        "PERSONAL, shown again on going BUSINESS).",
        "ADVANCED_ANALYTICS": "`Account.analytics`: views per day per video and follower growth.",
        "WEBSITE_AND_CONTACT_EMAIL": "A public website and contact email on the profile "
        "(erased on going PERSONAL).",
    },
)
