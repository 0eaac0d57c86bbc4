"""Domain errors: each carries a stable code clients switch on and a message people can read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """Every expected failure a client may see in `userErrors`."""

    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    INVALID_ID = "INVALID_ID"
    INVALID_CURSOR = "INVALID_CURSOR"
    # throttles: wait `retryAfterSeconds`
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    # accounts
    EMAIL_TAKEN = "EMAIL_TAKEN"
    HANDLE_TAKEN = "HANDLE_TAKEN"
    INVALID_HANDLE = "INVALID_HANDLE"
    INVALID_EMAIL = "INVALID_EMAIL"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOO_YOUNG = "TOO_YOUNG"
    INVALID_BIRTH_DATE = "INVALID_BIRTH_DATE"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_URL = "INVALID_URL"
    BUSINESS_ACCOUNT_REQUIRED = "BUSINESS_ACCOUNT_REQUIRED"
    ALREADY_ACCOUNT_TYPE = "ALREADY_ACCOUNT_TYPE"
    # content
    VIDEO_DURATION_OUT_OF_RANGE = "VIDEO_DURATION_OUT_OF_RANGE"
    TOO_MANY_PINNED_VIDEOS = "TOO_MANY_PINNED_VIDEOS"
    DUPLICATE_PINNED_VIDEO = "DUPLICATE_PINNED_VIDEO"
    VIDEO_NOT_PINNABLE = "VIDEO_NOT_PINNABLE"
    CANNOT_FOLLOW_SELF = "CANNOT_FOLLOW_SELF"
    ALREADY_FOLLOWING = "ALREADY_FOLLOWING"
    NOT_FOLLOWING = "NOT_FOLLOWING"
    NO_FOLLOW_REQUEST = "NO_FOLLOW_REQUEST"
    # money
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INVALID_IDEMPOTENCY_KEY = "INVALID_IDEMPOTENCY_KEY"
    INSUFFICIENT_COINS = "INSUFFICIENT_COINS"
    INSUFFICIENT_DIAMONDS = "INSUFFICIENT_DIAMONDS"
    SPENDER_TOO_YOUNG = "SPENDER_TOO_YOUNG"
    UNKNOWN_COIN_PACKAGE = "UNKNOWN_COIN_PACKAGE"
    INVALID_PAYMENT_TOKEN = "INVALID_PAYMENT_TOKEN"
    CARD_DECLINED = "CARD_DECLINED"
    PAYMENT_PROCESSING_ERROR = "PAYMENT_PROCESSING_ERROR"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    CANNOT_PAY_SELF = "CANNOT_PAY_SELF"
    CREATOR_NOT_ELIGIBLE = "CREATOR_NOT_ELIGIBLE"
    LIVE_NOT_ACTIVE = "LIVE_NOT_ACTIVE"
    ALREADY_LIVE = "ALREADY_LIVE"
    TIP_LIMIT_EXCEEDED = "TIP_LIMIT_EXCEEDED"
    PAYMENT_METHOD_REQUIRED = "PAYMENT_METHOD_REQUIRED"
    PAYMENT_REFUNDED = "PAYMENT_REFUNDED"
    # a card payment the provider did not finish (3-D Secure failed, or it was refused later)
    PAYMENT_FAILED = "PAYMENT_FAILED"
    # a chargeback left a coin debt: spending coins waits until a purchase settles it
    OUTSTANDING_DEBT = "OUTSTANDING_DEBT"
    # programs
    CRITERION_NOT_MET = "CRITERION_NOT_MET"
    APPLICATION_PENDING = "APPLICATION_PENDING"
    ALREADY_ENROLLED = "ALREADY_ENROLLED"
    REAPPLY_TOO_SOON = "REAPPLY_TOO_SOON"
    APPLICATION_NOT_PENDING = "APPLICATION_NOT_PENDING"
    DAY_NOT_OVER = "DAY_NOT_OVER"
    NOT_ENROLLED = "NOT_ENROLLED"
    MONETIZATION_PAUSED = "MONETIZATION_PAUSED"
    TERMS_VERSION_OUTDATED = "TERMS_VERSION_OUTDATED"
    AGE_NOT_CONFIRMED = "AGE_NOT_CONFIRMED"
    TERMS_NOT_ACCEPTED = "TERMS_NOT_ACCEPTED"
    # series
    SERIES_CREATOR_REQUIRED = "SERIES_CREATOR_REQUIRED"
    INVALID_PRICE = "INVALID_PRICE"
    PRICE_FROZEN = "PRICE_FROZEN"
    SERIES_NOT_DRAFT = "SERIES_NOT_DRAFT"
    SERIES_FULL = "SERIES_FULL"
    SERIES_EMPTY = "SERIES_EMPTY"
    EPISODE_DURATION_OUT_OF_RANGE = "EPISODE_DURATION_OUT_OF_RANGE"
    SERIES_NOT_PUBLISHED = "SERIES_NOT_PUBLISHED"
    ALREADY_PURCHASED = "ALREADY_PURCHASED"
    NOT_PURCHASED = "NOT_PURCHASED"
    PURCHASE_NOT_ACTIVE = "PURCHASE_NOT_ACTIVE"
    REFUND_WINDOW_CLOSED = "REFUND_WINDOW_CLOSED"
    INVALID_RATING = "INVALID_RATING"
    # payouts
    INVALID_BANK_ACCOUNT = "INVALID_BANK_ACCOUNT"
    DUPLICATE_PAYOUT_METHOD = "DUPLICATE_PAYOUT_METHOD"
    TOO_MANY_PAYOUT_METHODS = "TOO_MANY_PAYOUT_METHODS"
    PAYOUT_METHOD_IN_USE = "PAYOUT_METHOD_IN_USE"
    PAYOUT_METHOD_REQUIRED = "PAYOUT_METHOD_REQUIRED"
    PAYOUTS_SUSPENDED = "PAYOUTS_SUSPENDED"
    BELOW_PAYOUT_THRESHOLD = "BELOW_PAYOUT_THRESHOLD"
    INSUFFICIENT_EARNINGS = "INSUFFICIENT_EARNINGS"
    DAILY_PAYOUT_CAP_REACHED = "DAILY_PAYOUT_CAP_REACHED"
    PAYOUT_NOT_FAILED = "PAYOUT_NOT_FAILED"
    PAYOUT_PROVIDER_UNAVAILABLE = "PAYOUT_PROVIDER_UNAVAILABLE"
    PAYOUT_ACCOUNT_NOT_READY = "PAYOUT_ACCOUNT_NOT_READY"
    # sandbox clock
    INVALID_DURATION = "INVALID_DURATION"
    DURATION_TOO_LONG = "DURATION_TOO_LONG"
    # Creator Marketplace and sponsored challenges
    BRAND_PROFILE_REQUIRED = "BRAND_PROFILE_REQUIRED"
    CAMPAIGN_STATE_INVALID = "CAMPAIGN_STATE_INVALID"
    CAMPAIGN_BUDGET_EXHAUSTED = "CAMPAIGN_BUDGET_EXHAUSTED"
    CAMPAIGN_NOT_FUNDED = "CAMPAIGN_NOT_FUNDED"
    CAMPAIGN_HAS_OPEN_DEALS = "CAMPAIGN_HAS_OPEN_DEALS"
    APPLICATIONS_CLOSED = "APPLICATIONS_CLOSED"
    CAMPAIGN_FULL = "CAMPAIGN_FULL"
    CREATOR_NOT_QUALIFIED = "CREATOR_NOT_QUALIFIED"
    ALREADY_PROPOSED = "ALREADY_PROPOSED"
    PROPOSAL_NOT_PENDING = "PROPOSAL_NOT_PENDING"
    OFFERS_NOT_ALLOWED = "OFFERS_NOT_ALLOWED"
    DEAL_STATE_INVALID = "DEAL_STATE_INVALID"
    INVALID_DELIVERABLE = "INVALID_DELIVERABLE"
    OUTSIDE_POSTING_WINDOW = "OUTSIDE_POSTING_WINDOW"
    TOO_MANY_CHANGE_ROUNDS = "TOO_MANY_CHANGE_ROUNDS"
    PARTNERSHIP_LABEL_LOCKED = "PARTNERSHIP_LABEL_LOCKED"
    VIDEO_IN_CAMPAIGN = "VIDEO_IN_CAMPAIGN"
    DISPUTE_NOT_OPEN = "DISPUTE_NOT_OPEN"
    INVALID_SPLIT = "INVALID_SPLIT"
    REPORT_ID_REUSED = "REPORT_ID_REUSED"
    ALREADY_ENTERED = "ALREADY_ENTERED"
    INVALID_PRIZE_TIERS = "INVALID_PRIZE_TIERS"
    NOT_A_CHALLENGE = "NOT_A_CHALLENGE"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request; `field` is the path of the input field, if any."""

    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None
    retry_after_seconds: int | None = None
    # With CRITERION_NOT_MET: the criterion not met (a `programs.eligibility.Criterion`).
    criterion: str | None = None


class DomainError(Exception):
    """An expected failure of a business rule. Nothing the operation did is kept."""

    code: ErrorCode = ErrorCode.INVALID_INPUT

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | None = None,
        field: Sequence[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.problems: list[Problem] = [
            Problem(code or self.code, message, tuple(field) if field else None)
        ]

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> DomainError:
        """One error that reports several problems at once (a form with many bad fields)."""
        if not problems:
            raise ValueError("DomainError.of needs at least one problem")
        error = cls(problems[0].message, code=problems[0].code, field=problems[0].field)
        error.problems = list(problems)
        return error


class TooManyAttempts(DomainError):
    """A throttle's limit is reached: nothing was tried; again after `retry_after` seconds."""

    code = ErrorCode.TOO_MANY_ATTEMPTS

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.problems = [Problem(self.code, message, None, retry_after)]


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class PermissionDenied(Exception):
    """The caller may not do this at all (an authorisation failure, not a user error)."""


class Unauthenticated(Exception):
    """The caller must log in first, or their session token is invalid, expired or revoked."""
