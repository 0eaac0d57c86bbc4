"""Pure checks of profile input. Each returns the cleaned value or raises a DomainError."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from reelpay.accounts.countries import COUNTRY_CODES
from reelpay.errors import DomainError, ErrorCode
from reelpay.settings import Rules
from reelpay.text import display_text_problem

_HANDLE = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX_LENGTH = 254


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on `day` (someone born on 29 February turns a year older on 1 March)."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (1 if before_birthday else 0)


def handle(value: str, rules: Rules, field: tuple[str, ...]) -> str:
    """Letters, digits, '_' and '.', not starting or ending with '.', no '..'."""
    value = value.strip().removeprefix("@")
    if not rules.handle_min_length <= len(value) <= rules.handle_max_length:
        raise DomainError(
            f"A handle has {rules.handle_min_length} to {rules.handle_max_length} characters.",
            code=ErrorCode.INVALID_HANDLE,
            field=field,
        )
    if not _HANDLE.match(value) or ".." in value:
        raise DomainError(
            "A handle uses letters, digits, '_' and '.', and does not start or end with '.' "
            "or contain '..'.",
            code=ErrorCode.INVALID_HANDLE,
            field=field,
        )
    return value


def handle_key(value: str) -> str:
    return value.strip().removeprefix("@").lower()


def email(value: str, field: tuple[str, ...]) -> str:
    value = value.strip().lower()
    if len(value) > EMAIL_MAX_LENGTH or not _EMAIL.match(value):
        raise DomainError("Enter a valid email address.", code=ErrorCode.INVALID_EMAIL, field=field)
    return value


def password(value: str, rules: Rules, field: tuple[str, ...]) -> str:
    if not rules.password_min_length <= len(value) <= rules.password_max_length:
        raise DomainError(
            f"A password has {rules.password_min_length} to {rules.password_max_length} "
            "characters.",
            code=ErrorCode.WEAK_PASSWORD,
            field=field,
        )
    return value


def text(
    value: str,
    *,
    min_length: int,
    max_length: int,
    what: str,
    field: tuple[str, ...],
    multiline: bool = False,
) -> str:
    """Text people read: one line (a name) unless `multiline` (a bio); see `reelpay.text`."""
    value = value.strip()
    if not min_length <= len(value) <= max_length:
        bounds = f"at most {max_length}" if min_length == 0 else f"{min_length} to {max_length}"
        raise DomainError(f"{what} has {bounds} characters.", field=field)
    bad_text = display_text_problem(value, what=what, multiline=multiline)
    if bad_text is not None:
        raise DomainError(bad_text, field=field)
    return value


def url(value: str, rules: Rules, field: tuple[str, ...]) -> str:
    value = value.strip()
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts, hostname = None, None
    if (
        parts is None
        or len(value) > rules.url_max_length
        or parts.scheme not in {"http", "https"}
        or not hostname
        or any(ch.isspace() for ch in value)
    ):
        raise DomainError(
            "Enter a full http:// or https:// URL.", code=ErrorCode.INVALID_URL, field=field
        )
    return value


def country(value: str, field: tuple[str, ...]) -> str:
    value = value.strip().upper()
    if value not in COUNTRY_CODES:
        raise DomainError(
            "Use an ISO 3166-1 alpha-2 country code such as US, FR or KR.",
            code=ErrorCode.INVALID_COUNTRY,
            field=field,
        )
    return value


def birth_date(value: date, today: date, rules: Rules, field: tuple[str, ...]) -> date:
    if value > today:
        raise DomainError(
            "A birth date cannot be in the future.",
            code=ErrorCode.INVALID_BIRTH_DATE,
            field=field,
        )
    if age_on(value, today) < rules.min_signup_age:
        raise DomainError(
            f"You must be at least {rules.min_signup_age} to sign up.",
            code=ErrorCode.TOO_YOUNG,
            field=field,
        )
    return value
