"""GraphQL enums for the domain's closed sets."""

import strawberry

from reelpay.accounts.switching import ProFeature as _ProFeature
from reelpay.enums import AccountType as _AccountType
from reelpay.enums import FollowStatus as _FollowStatus
from reelpay.enums import Role as _Role
from reelpay.enums import Standing as _Standing
from reelpay.enums import Visibility as _Visibility

AccountType = strawberry.enum(_AccountType, description="PERSONAL, or BUSINESS (the pro account).")
Visibility = strawberry.enum(_Visibility)
Standing = strawberry.enum(_Standing, description="Community-guideline standing.")
Role = strawberry.enum(_Role)
FollowStatus = strawberry.enum(
    _FollowStatus,
    description="PENDING: a request a private account has not approved yet.",
)
ProFeature = strawberry.enum(_ProFeature, description="What only pro (BUSINESS) accounts have.")
