"""How failures reach clients: `userErrors` in payloads, coded top-level errors otherwise."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy import exc

from reelpay import db
from reelpay.errors import DomainError, ErrorCode, PermissionDenied, Problem, Unauthenticated
from reelpay.events.broker import EventsLost
from reelpay.graphql.enums import described_enum
from reelpay.payments.charging import PaymentPending
from reelpay.programs import eligibility

if TYPE_CHECKING:
    # The GraphQL enum of the same name is this class, wrapped (graphql/programs/types.py).
    from reelpay.programs.eligibility import Criterion

log = logging.getLogger("reelpay.graphql")

UserErrorCode = described_enum(
    ErrorCode,
    "What went wrong, for clients to switch on (the message is for people and may change). "
    "Every code means the operation changed nothing. Mutations report them in `userErrors`; "
    "queries report them as a top-level error with `extensions.code` BAD_USER_INPUT and the "
    "code in `extensions.reason`. Grouped by area: request-wide codes first, then accounts, "
    "videos and follows, money, programs, Series, payouts and the sandbox clock. Limits quoted "
    "are the defaults; the message states the ones in force.",
    {
        # request-wide
        "INVALID_INPUT": "A value breaks a rule of its field (length, characters, range, a "
        "`first`/`last` outside 1..100, a MoneyInput with the wrong currency or too many "
        "decimals); `field` and the message say which. Fix the value and send again.",
        "NOT_FOUND": "The ID or key names nothing you may see: missing, deleted, or hidden from "
        "you (hidden things are reported as missing, so their existence does not leak).",
        "INVALID_ID": "Not a global ID this API gave out, or the ID of another type than the "
        "field expects. Use the `id` of an object fetched from the API.",
        "INVALID_CURSOR": "`after`/`before` is not a cursor this list gave out. Start again "
        "from the first page with the cursors it returns.",
        "TOO_MANY_ATTEMPTS": "A throttle's limit is reached (sign-ups and log-ins per client "
        "address, log-in failures per account, views per viewer): nothing was tried. Wait "
        "`retryAfterSeconds`, then try again.",
        # accounts
        "EMAIL_TAKEN": "Another account already uses this email: log in instead, or use "
        "another address.",
        "HANDLE_TAKEN": "Another account already has this handle (compared ignoring case): "
        "choose another.",
        "INVALID_HANDLE": "A handle has 2 to 24 letters, digits, '_' or '.', and does not "
        "start or end with '.' or contain '..'.",
        "INVALID_EMAIL": "Not an email address.",
        "WEAK_PASSWORD": "A password has 8 to 128 characters.",
        "INVALID_CREDENTIALS": "The email or the password is wrong (the answer does not say "
        "which). Repeated failures lead to TOO_MANY_ATTEMPTS.",
        "TOO_YOUNG": "Signing up needs an age of 13 or more on today's UTC date.",
        "INVALID_BIRTH_DATE": "The birth date is in the future.",
        "INVALID_COUNTRY": "Not an ISO 3166-1 alpha-2 country code (such as US, FR or KR).",
        "INVALID_URL": "Not a full http:// or https:// URL (with a host, no spaces, not too long).",
        "BUSINESS_ACCOUNT_REQUIRED": "A pro feature (pinned videos, analytics, website and "
        "contact email) on a PERSONAL account: switch to BUSINESS first "
        "(`switchAccountType`).",
        "ALREADY_ACCOUNT_TYPE": "`switchAccountType` to the type the account already has: "
        "nothing to do.",
        # videos and follows
        "VIDEO_DURATION_OUT_OF_RANGE": "A video lasts 1 to 3600 seconds.",
        "TOO_MANY_PINNED_VIDEOS": "At most 3 videos can be pinned.",
        "DUPLICATE_PINNED_VIDEO": "The same video appears twice in `videoIds`; `field` points "
        "at the second one.",
        "VIDEO_NOT_PINNABLE": "Only your own public videos can be pinned; `field` points at the "
        "one that is not (someone else's, private, deleted or missing).",
        "CANNOT_FOLLOW_SELF": "An account cannot follow itself.",
        "ALREADY_FOLLOWING": "You already follow this account, or your request to follow it is "
        "waiting for approval.",
        "NOT_FOLLOWING": "`unfollow` of an account you neither follow nor asked to follow.",
        "NO_FOLLOW_REQUEST": "That account has no pending request to follow you (never asked, "
        "withdrew it, or it was already approved or declined).",
        # money
        "IDEMPOTENCY_KEY_REUSED": "This idempotency key was already used with different "
        "arguments or for another operation. Use a new key for a new operation; resend the "
        "exact same request to get the first result again.",
        "INVALID_IDEMPOTENCY_KEY": "An idempotency key is 1 to 128 printable characters with no "
        "surrounding spaces (a UUID is a good choice).",
        "INSUFFICIENT_COINS": "The coin balance is lower than the price: buy coins first "
        "(`purchaseCoins`).",
        "INSUFFICIENT_DIAMONDS": "Fewer diamonds than asked to redeem.",
        "SPENDER_TOO_YOUNG": "Buying coins or Series, sending gifts and tipping need an age of "
        "18 or more (19 in KR).",
        "UNKNOWN_COIN_PACKAGE": "No coin package has this ID: list them with `coinPackages`.",
        "INVALID_PAYMENT_TOKEN": "The payment provider does not accept this token: get a new "
        "one from the provider. Nothing was charged.",
        "CARD_DECLINED": "The card was declined; nothing was charged. Ask for another card and "
        "send it with a new idempotency key.",
        "PAYMENT_PROCESSING_ERROR": "The provider could not process the payment right now; "
        "nothing was recorded. Try again later with the same idempotency key (a charge is "
        "never taken twice).",
        "INVALID_QUANTITY": "A count out of range: a gift is sent 1 to 99 at a time, and "
        "redeeming takes at least 2 diamonds (the message gives the bounds).",
        "INVALID_AMOUNT": "An amount out of range: a tip is 1 to 100 USD; or the balance it "
        "would come from is too low.",
        "CANNOT_PAY_SELF": "You cannot buy your own Series, send gifts to yourself or tip "
        "yourself.",
        "CREATOR_NOT_ELIGIBLE": "The creator cannot receive this now (not enrolled in the "
        "program, monetization suspended, or the program's current terms not accepted yet); "
        "nothing was charged. Or you may not go LIVE (too young, restricted "
        "or banned), or set up bank payouts with Stripe (under 18).",
        "LIVE_NOT_ACTIVE": "The LIVE has ended: no more gifts, joins or ending it again.",
        "ALREADY_LIVE": "You are already LIVE: end that LIVE before starting another.",
        "TIP_LIMIT_EXCEEDED": "A daily tipping limit (per UTC day: 100 tips, 500 USD) would be "
        "passed; the message says what is left today.",
        "PAYMENT_METHOD_REQUIRED": "Paying by card needs `paymentToken`.",
        "PAYMENT_REFUNDED": "The card was charged but the operation was then refused, and the "
        "charge refunded: start again with a new idempotency key.",
        "PAYMENT_FAILED": "A card payment that needed the buyer's action (3-D Secure) or was "
        "still processing did not go through: nothing was credited and anything taken is "
        "refunded. Start again with a new idempotency key.",
        "OUTSTANDING_DEBT": "A card payment for coins was charged back after some of the coins "
        "were spent: spending coins (gifts, coin tips, Series paid with coins) waits until the "
        "debt is settled. The message says how many coins are owed; the next coin purchase "
        "settles it first (`Wallet.coinDebt`).",
        # programs
        "CRITERION_NOT_MET": "One unmet criterion of the program (one error per criterion). "
        "The `eligibility` query shows the whole checklist and when time will fix each.",
        "APPLICATION_PENDING": "An application to this program is already waiting for review.",
        "ALREADY_ENROLLED": "The account is already enrolled in this program.",
        "REAPPLY_TOO_SOON": "A rejected application may be sent again 30 days after the "
        "rejection; the message gives the date.",
        "APPLICATION_NOT_PENDING": "Staff: the application was already approved or rejected.",
        "DAY_NOT_OVER": "Rewards are computed only for UTC days that are over: pick an earlier "
        "date.",
        "NOT_ENROLLED": "You are not enrolled in this program: pausing, resuming, leaving and "
        "accepting its terms need an enrolment (`viewer.monetization` shows each program's state).",
        "MONETIZATION_PAUSED": "The creator has paused this monetization feature (tips, gifts, "
        "Series sales): nothing was charged or moved. It works again when they resume it.",
        "TERMS_VERSION_OUTDATED": "The terms version accepted is not the program's current "
        "one (an older or unknown version); the message names the current version. Read it "
        "(`programTerms`, `ProgramEligibility.terms`) and send that version.",
        "AGE_NOT_CONFIRMED": "Applying to a program and accepting its terms need "
        "`confirmAge: true`: you confirm you are old enough for the program.",
        "TERMS_NOT_ACCEPTED": "The program published new terms you have not accepted: accept "
        "them (`acceptProgramTerms`, version in `Enrolment.termsToAccept`) before creating or "
        "publishing Series; until then the program's feature receives no new money.",
        # Series
        "SERIES_CREATOR_REQUIRED": "Only creators enrolled in Series and not suspended create, "
        "change and publish Series: apply to the program first.",
        "INVALID_PRICE": "A Series price is 0.99 to 189.99 USD.",
        "PRICE_FROZEN": "The price of a published Series cannot change.",
        "SERIES_NOT_DRAFT": "This change needs a DRAFT Series (an ARCHIVED one also takes no "
        "new episodes).",
        "SERIES_FULL": "A Series holds at most 80 episodes.",
        "SERIES_EMPTY": "Add at least one episode before publishing.",
        "EPISODE_DURATION_OUT_OF_RANGE": "An episode lasts 30 seconds to 20 minutes.",
        "SERIES_NOT_PUBLISHED": "The Series is not PUBLISHED: it is not on sale, and only a "
        "published Series can be archived or linked from a video.",
        "ALREADY_PURCHASED": "You already own this Series: play it.",
        "NOT_PURCHASED": "Only buyers rate a Series.",
        "PURCHASE_NOT_ACTIVE": "Staff: this purchase was already refunded.",
        "REFUND_WINDOW_CLOSED": "Staff: the purchase can no longer be refunded: its refund "
        "window (7 days) has closed.",
        "INVALID_RATING": "A rating is 1 to 5 stars.",
        # payouts
        "INVALID_BANK_ACCOUNT": "The bank account details are not valid (holder name, IBAN or "
        "account and routing numbers); `field` says which.",
        "DUPLICATE_PAYOUT_METHOD": "This payout method is already linked to the account.",
        "TOO_MANY_PAYOUT_METHODS": "The account has as many payout methods as allowed: remove "
        "one first.",
        "PAYOUT_METHOD_IN_USE": "A payout is on its way to this method: remove it once that "
        "payout is PAID or FAILED.",
        "PAYOUT_METHOD_REQUIRED": "Link a payout method before withdrawing.",
        "PAYOUTS_SUSPENDED": "Payouts are suspended while the account is RESTRICTED or BANNED; "
        "the earnings stay in the balance.",
        "BELOW_PAYOUT_THRESHOLD": "A payout is at least 100 USD.",
        "INSUFFICIENT_EARNINGS": "The amount is more than the earnings available to pay out "
        "(the message gives what is available).",
        "DAILY_PAYOUT_CAP_REACHED": "At most 1,000 USD is paid out per UTC day; the message "
        "says what is left today.",
        "PAYOUT_NOT_FAILED": "Only a FAILED payout can be retried.",
        "PAYOUT_PROVIDER_UNAVAILABLE": "Bank payouts through Stripe are not configured on this "
        "server, or Stripe did not answer: nothing was kept. Try again later.",
        "PAYOUT_ACCOUNT_NOT_READY": "Bank payouts go to your Stripe account, which cannot "
        "receive them yet: finish onboarding (`startPayoutOnboarding`); "
        "`payoutAccount.requirementsDue` says what Stripe still needs.",
        # sandbox clock (staff, outside production)
        "INVALID_DURATION": "Staff: a sandbox clock advance must move forward: no negative "
        "part, and more than 0 seconds in all.",
        "DURATION_TOO_LONG": "Staff: the advance is longer than one advance may be, or would "
        "put the sandbox clock further ahead of real time than allowed; the message gives the "
        "room left.",
        "BRAND_PROFILE_REQUIRED": "Campaigns are run by brands: a BUSINESS account with a brand "
        "profile (`setBrandProfile`).",
        "CAMPAIGN_STATE_INVALID": "The campaign is not in a state that allows this (the message "
        "names its state and what is needed).",
        "CAMPAIGN_BUDGET_EXHAUSTED": "The campaign's escrow does not hold enough for this "
        "reservation or payment; the brand may fund more.",
        "CAMPAIGN_NOT_FUNDED": "The campaign's escrow holds less than its budget: fund it before "
        "opening.",
        "CAMPAIGN_HAS_OPEN_DEALS": "Deals of the campaign are still in progress, submitted or "
        "disputed: finish them first.",
        "APPLICATIONS_CLOSED": "The campaign takes no applications now: paused by the brand, or "
        "its application deadline has passed (accepting one: its posting window has ended).",
        "CAMPAIGN_FULL": "Every creator slot of the campaign is taken.",
        "CREATOR_NOT_QUALIFIED": "The creator does not meet the campaign's requirements or is not "
        "active in the Creator Marketplace program (the message says which).",
        "ALREADY_PROPOSED": "This creator already applied to or was invited to this campaign.",
        "PROPOSAL_NOT_PENDING": "The application or invitation was already answered or withdrawn.",
        "OFFERS_NOT_ALLOWED": "The campaign pays its own fee: it takes no proposed fee.",
        "DEAL_STATE_INVALID": "The deal is not in a state that allows this (the message names "
        "its state).",
        "INVALID_DELIVERABLE": "The video cannot be delivered: not the creator's own public video, "
        "deleted, missing the required hashtag or mention, or delivered already.",
        "OUTSIDE_POSTING_WINDOW": "The video was not published inside the campaign's posting (or "
        "submission) window.",
        "TOO_MANY_CHANGE_ROUNDS": "The brand has used every round of changes it may request; "
        "approve the submission or open a dispute.",
        "PARTNERSHIP_LABEL_LOCKED": "The paid-partnership label stays on a delivered video until "
        "its campaign has ended.",
        "VIDEO_IN_CAMPAIGN": "The video is a deliverable or challenge entry of a running campaign "
        "and cannot be deleted until it ends.",
        "DISPUTE_NOT_OPEN": "The dispute was already resolved.",
        "INVALID_SPLIT": "A split must give the creator between 0 and the deal's reservation.",
        "REPORT_ID_REUSED": "This sales report id was already used with other figures.",
        "ALREADY_ENTERED": "The creator has already entered this challenge.",
        "INVALID_PRIZE_TIERS": "Prize tiers must cover ranks 1, 2, ... without gaps or overlaps, "
        "each with a positive amount, and add up to the prize pool.",
        "NOT_A_CHALLENGE": "This is for sponsored challenges; the campaign is a DEAL campaign (or "
        "the other way round).",
    },
    name="UserErrorCode",
)


@strawberry.type(description="An expected failure: the operation changed nothing.")
class UserError:
    code: UserErrorCode = strawberry.field(  # type: ignore[valid-type]
        description="What went wrong, for code to switch on; see UserErrorCode."
    )
    message: str = strawberry.field(
        description="What went wrong, in English, for people; its wording may change."
    )
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "handle"].'
    )
    retry_after_seconds: int | None = strawberry.field(
        default=None,
        description="With TOO_MANY_ATTEMPTS: how many seconds to wait before trying again.",
    )
    criterion: Annotated[Criterion, strawberry.lazy("reelpay.graphql.programs.types")] | None = (
        strawberry.field(
            default=None,
            description="With CRITERION_NOT_MET (always there): the program criterion not met, the "
            "same as an `EligibilityCriterion.criterion` of the program's `eligibility`; null with "
            "every other code.",
        )
    )

    @classmethod
    def of(cls, problem: Problem) -> UserError:
        return cls(
            code=problem.code,
            message=problem.message,
            field=list(problem.field) if problem.field else None,
            retry_after_seconds=problem.retry_after_seconds,
            criterion=eligibility.Criterion(problem.criterion) if problem.criterion else None,
        )


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError.of(p) for p in error.problems]


# Top-level error codes (extensions.code), following Apollo's conventions.
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
# Request errors of the transport: which operation to run cannot be decided, or HTTP cannot
# carry the request (malformed JSON, a subscription: `reason` SUBSCRIPTION_NEEDS_WEBSOCKET).
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
BAD_REQUEST = "BAD_REQUEST"
SUBSCRIPTION_NEEDS_WEBSOCKET = "SUBSCRIPTION_NEEDS_WEBSOCKET"
EVENTS_LOST = "EVENTS_LOST"
# The database cannot be reached or did not answer in time (`db.is_unavailable`): the same
# request may be sent again after `retryAfterSeconds`; money mutations with the same key.
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = "The database is not answering; try again in a few seconds."


def shape(error: GraphQLError) -> GraphQLError:
    """Give every error an `extensions.code`; hide anything we did not expect."""
    original = error.original_error
    if original is None:
        if error.extensions and "code" in error.extensions:
            return error
        return _with(error, error.message, GRAPHQL_VALIDATION_FAILED)
    if isinstance(original, GraphQLError) and (original.extensions or {}).get("code"):
        return error
    if isinstance(original, Unauthenticated):
        return _with(error, str(original) or "Log in first.", UNAUTHENTICATED)
    if isinstance(original, PermissionDenied):
        return _with(error, str(original) or "You may not do this.", FORBIDDEN)
    if isinstance(original, EventsLost):
        return _with(error, f"Events were lost ({original}); subscribe again.", EVENTS_LOST)
    if isinstance(original, DomainError):
        problem = original.problems[0]
        extra: dict[str, Any] = {"reason": problem.code.value}
        if problem.field:
            extra["field"] = list(problem.field)
        if problem.criterion:
            extra["criterion"] = problem.criterion
        return _with(error, problem.message, BAD_USER_INPUT, extra)
    if db.is_unavailable(original):
        # Not a bug: one line in the log, no traceback (there would be one per failing field).
        log.warning(
            "the database is unavailable in %s: %s", error.path or "the operation", brief(original)
        )
        return _with(
            error,
            UNAVAILABLE_MESSAGE,
            SERVICE_UNAVAILABLE,
            {"retryAfterSeconds": RETRY_AFTER_SECONDS},
        )
    if error.path is None and isinstance(original, GraphQLError):
        # Raised before execution, while coercing variables (a scalar's parser refused a
        # value such as the Date "2026-13-01"): the request is at fault, and graphql-core's
        # message says which variable and why.
        return _with(error, error.message, BAD_USER_INPUT)
    # Anything else is ours (a database failure outside any field included): its message
    # stays in the log.
    log.error("unexpected error in %s", error.path or "the operation", exc_info=original)
    return _with(error, "Unexpected error.", INTERNAL_SERVER_ERROR)


def unavailable_before_anything(data: Any, errors: list[GraphQLError] | None) -> bool:
    """True if the database's unavailability left the client nothing: every error is
    SERVICE_UNAVAILABLE and every root field (if any) is null because it failed. Such a request
    is answered 503 with Retry-After (it may be sent again as it is)."""
    if not errors or any(_code(e) != SERVICE_UNAVAILABLE for e in errors):
        return False
    if data is None:
        return True
    failed = {e.path[0] for e in errors if e.path}
    return all(value is None and key in failed for key, value in data.items())


def _code(error: GraphQLError) -> Any:
    return (error.extensions or {}).get("code")


def brief(error: BaseException) -> str:
    """What failed, on one line for the log: the driver's message, not SQLAlchemy's with the SQL."""
    if isinstance(error, exc.DBAPIError) and error.orig is not None:
        error = error.orig
    text = str(error).strip().splitlines()
    module, name = type(error).__module__, type(error).__qualname__
    name = name if module == "builtins" else f"{module}.{name}"
    return f"{name}: {text[0]}" if text else name


def _with(
    error: GraphQLError, message: str, code: str, extra: dict[str, Any] | None = None
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**(error.extensions or {}), "code": code, **(extra or {})},
    )


P = TypeVar("P")


async def as_user_errors(payload: Callable[..., P], work: Callable[[], Awaitable[P]]) -> P:
    """Run a mutation's work; a DomainError becomes the payload's `userErrors`."""
    try:
        return await work()
    except DomainError as error:
        return payload(user_errors=user_errors(error))
    except PaymentPending as pending:
        # A card payment the provider has not finished: the payload says so, nothing else.
        from reelpay.graphql.payments.types import PendingCardPayment

        return payload(
            pending_payment=PendingCardPayment.from_model(pending.pending, pending.client_secret)
        )
