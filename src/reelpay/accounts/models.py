"""Account and login-session tables."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from reelpay.db import Base, UTCDateTime
from reelpay.enums import AccountType, Role, Standing, Visibility, enum_column_type


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    # Read only where a password is checked (`accounts.service.credentials`): never loaded with
    # the account, and reading it from an account loaded without it raises instead of querying.
    password_hash: Mapped[str] = mapped_column(
        sa.String(255), deferred=True, deferred_raiseload=True
    )
    handle: Mapped[str] = mapped_column(sa.String(32))
    # Lower-cased handle: uniqueness and look-ups ignore case.
    handle_key: Mapped[str] = mapped_column(sa.String(32), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(64))
    bio: Mapped[str] = mapped_column(sa.String(500), default="")
    avatar_url: Mapped[str | None] = mapped_column(sa.String(2048))
    birth_date: Mapped[date] = mapped_column(sa.Date)
    country: Mapped[str] = mapped_column(sa.String(2))
    visibility: Mapped[Visibility] = mapped_column(
        enum_column_type(Visibility, "visibility"), default=Visibility.PUBLIC
    )
    account_type: Mapped[AccountType] = mapped_column(
        enum_column_type(AccountType, "account_type"), default=AccountType.PERSONAL
    )
    role: Mapped[Role] = mapped_column(enum_column_type(Role, "role"), default=Role.USER)
    standing: Mapped[Standing] = mapped_column(
        enum_column_type(Standing, "standing"), default=Standing.GOOD
    )
    is_political: Mapped[bool] = mapped_column(default=False)
    # Pro-only profile fields; cleared when the account switches to PERSONAL.
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    website_url: Mapped[str | None] = mapped_column(sa.String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def is_staff(self) -> bool:
        return self.role is Role.STAFF

    @property
    def is_business(self) -> bool:
        return self.account_type is AccountType.BUSINESS


class AuthSession(Base):
    """A login: the bearer token is stored only as its SHA-256 hash."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
