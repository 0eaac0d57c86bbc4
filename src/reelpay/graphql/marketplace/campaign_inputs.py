"""The inputs of brands' and campaigns' mutations and of the browse's filter, and their
translation into the marketplace's drafts (money as MoneyInput, instants with a zone)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.types.unset import UnsetType

from reelpay.errors import DomainError, ErrorCode
from reelpay.graphql.marketplace.types import (
    CampaignKind,
    Category,
    ChallengeRanking,
    TermsKind,
)
from reelpay.graphql.money import MoneyInput, minor_units
from reelpay.graphql.relay import decode_id_of
from reelpay.marketplace import models
from reelpay.marketplace.campaign_rules import CampaignDraft, TermsDraft, TierDraft

CAMPAIGN_ID = ("input", "campaignId")
CAMPAIGN_ID_TEXT = "A Campaign's ID (one of yours)."


@strawberry.input(description="A brand's public profile.")
class SetBrandProfileInput:
    name: str = strawberry.field(description="The brand's name: 1 to 100 characters.")
    category: Category = strawberry.field(  # type: ignore[valid-type]
        description="What the brand sells."
    )
    website: str | None = strawberry.field(
        default=None, description="An http:// or https:// URL; null or empty: none."
    )


@strawberry.input(description="The categories you make videos in.")
class SetMarketplaceCategoriesInput:
    categories: list[Category] = strawberry.field(  # type: ignore[valid-type]
        description="0 to 3 categories, each once; they replace the ones you had."
    )


@strawberry.input(description="How a DEAL campaign pays each creator (amounts in USD).")
class CampaignTermsInput:
    kind: TermsKind = strawberry.field(  # type: ignore[valid-type]
        description="FLAT_FEE (needs `flatFee`), COMMISSION (needs `commissionBasisPoints` and "
        "`capPerCreator`) or PER_VIEW (needs `perThousandViews` and `capPerCreator`)."
    )
    flat_fee: MoneyInput | None = strawberry.field(
        default=None,
        description="The fee per creator for an approved set of videos; optional with "
        "COMMISSION and PER_VIEW terms.",
    )
    commission_basis_points: int | None = strawberry.field(
        default=None, description="COMMISSION: 1 to 10,000 basis points (1,000 = 10%)."
    )
    per_thousand_views: MoneyInput | None = strawberry.field(
        default=None, description="PER_VIEW: what 1,000 authentic views earn."
    )
    cap_per_creator: MoneyInput | None = strawberry.field(
        default=None,
        description="COMMISSION and PER_VIEW: the most one creator earns beyond the flat fee.",
    )
    allows_offers: bool = strawberry.field(
        default=False, description="Whether creators may propose their own flat fee."
    )


@strawberry.input(description="A challenge's prize for each entry ranked `rankFrom`..`rankTo`.")
class PrizeTierInput:
    rank_from: int = strawberry.field(description="The first rank of the tier (1 = the best).")
    rank_to: int = strawberry.field(description="The last rank of the tier (>= rankFrom).")
    amount: MoneyInput = strawberry.field(description="What each entry of the tier wins.")


DEADLINE_TEXT = (
    "Applications (and invitations) are accepted before this instant; at most "
    "`postingEndsAt`. Default: `postingEndsAt`."
)


@strawberry.input(
    description="A new DRAFT campaign. Every field is checked and each bad one reported "
    "(INVALID_INPUT naming it; INVALID_PRIZE_TIERS for prize tiers)."
)
class CreateCampaignInput:
    kind: CampaignKind = strawberry.field(  # type: ignore[valid-type]
        description="DEAL (needs `terms`) or CHALLENGE (needs `hashtag`, `ranking` and "
        "`prizeTiers`)."
    )
    title: str = strawberry.field(description="1 to 100 characters.")
    brief: str = strawberry.field(description="What to make: 1 to 4,000 characters.")
    category: Category = strawberry.field(  # type: ignore[valid-type]
        description="What the campaign is about."
    )
    posting_starts_at: datetime = strawberry.field(
        description="Videos must be published at or after this instant."
    )
    posting_ends_at: datetime = strawberry.field(
        description="Videos must be published before this instant (after `postingStartsAt`)."
    )
    budget: MoneyInput = strawberry.field(
        description="What you fund: 1.00 to 100,000.00 USD. DEAL: room for every slot's flat "
        "fee plus cap; CHALLENGE: exactly the prize tiers' total."
    )
    application_deadline: datetime | None = strawberry.field(
        default=None, description=DEADLINE_TEXT
    )
    videos_required: int = strawberry.field(
        default=1, description="Videos per submission: 1 to 10 (a challenge: 1)."
    )
    hashtag: str | None = strawberry.field(
        default=None,
        description='A hashtag each video carries (the "#" is optional); required for a challenge.',
    )
    mention: str | None = strawberry.field(
        default=None, description='A handle each video mentions (the "@" is optional).'
    )
    min_followers: int = strawberry.field(
        default=0, description="The fewest followers a creator needs."
    )
    countries: list[str] = strawberry.field(
        default_factory=list,
        description="ISO 3166-1 alpha-2 codes a creator's country must be one of; empty: any.",
    )
    categories: list[Category] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list,
        description="A creator must make videos in one of these; empty: any.",
    )
    creator_slots: int = strawberry.field(
        default=1, description="How many creators the campaign takes: 1 to 100."
    )
    terms: CampaignTermsInput | None = strawberry.field(
        default=None, description="DEAL only: how creators are paid."
    )
    ranking: ChallengeRanking | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="CHALLENGE only: how entries are ranked."
    )
    prize_tiers: list[PrizeTierInput] | None = strawberry.field(
        default=None,
        description="CHALLENGE only: tiers covering ranks 1..N without gaps or overlaps (at "
        "most 10 tiers, rank 100 at most), adding up exactly to the budget.",
    )


KEEP = "Left out: unchanged."


@strawberry.input(
    description="Changes to a DRAFT campaign: only the fields you send change, and the whole "
    "campaign is checked again as `createCampaign` checks it."
)
class UpdateCampaignInput:
    campaign_id: strawberry.ID = strawberry.field(description=CAMPAIGN_ID_TEXT)
    title: str | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    brief: str | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    category: Category | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description=KEEP
    )
    posting_starts_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description=KEEP
    )
    posting_ends_at: datetime | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    budget: MoneyInput | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    application_deadline: datetime | None = strawberry.field(
        default=strawberry.UNSET, description=KEEP
    )
    videos_required: int | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    hashtag: str | None = strawberry.field(
        default=strawberry.UNSET, description=KEEP + " Null or empty removes it."
    )
    mention: str | None = strawberry.field(
        default=strawberry.UNSET, description=KEEP + " Null or empty removes it."
    )
    min_followers: int | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    countries: list[str] | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    categories: list[Category] | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description=KEEP
    )
    creator_slots: int | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    terms: CampaignTermsInput | None = strawberry.field(
        default=strawberry.UNSET, description=KEEP + " Given: replaces the terms whole."
    )
    ranking: ChallengeRanking | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description=KEEP
    )
    prize_tiers: list[PrizeTierInput] | None = strawberry.field(
        default=strawberry.UNSET, description=KEEP + " Given: replaces every tier."
    )


@strawberry.input(description="A card charge into your campaign's escrow.")
class FundCampaignInput:
    campaign_id: strawberry.ID = strawberry.field(description=CAMPAIGN_ID_TEXT)
    payment_token: str = strawberry.field(description="The payment provider's one-time card token.")
    idempotency_key: str = strawberry.field(
        description="Your unique key for this charge: sending it again returns the first "
        "result and charges nothing; the same key with other arguments is "
        "IDEMPOTENCY_KEY_REUSED."
    )
    amount: MoneyInput | None = strawberry.field(
        default=None,
        description="What goes into escrow (0.01 to 100,000.00 USD per charge); the platform "
        "fee, if any, is charged on top. Default: what is missing to reach the budget. Allowed "
        "while DRAFT, OPEN or IN_PROGRESS (more than the budget tops it up).",
    )


@strawberry.input(description="The DRAFT campaign to open.")
class OpenCampaignInput:
    campaign_id: strawberry.ID = strawberry.field(description=CAMPAIGN_ID_TEXT)


@strawberry.input(description="The campaign whose applications to pause.")
class PauseCampaignApplicationsInput:
    campaign_id: strawberry.ID = strawberry.field(description=CAMPAIGN_ID_TEXT)


@strawberry.input(description="The campaign whose applications to resume.")
class ResumeCampaignApplicationsInput:
    campaign_id: strawberry.ID = strawberry.field(description=CAMPAIGN_ID_TEXT)


@strawberry.input(description="The campaign to close.")
class CloseCampaignInput:
    campaign_id: strawberry.ID = strawberry.field(description=CAMPAIGN_ID_TEXT)


@strawberry.input(description="The campaign to cancel.")
class CancelCampaignInput:
    campaign_id: strawberry.ID = strawberry.field(description=CAMPAIGN_ID_TEXT)


@strawberry.input(description="Narrows the open campaigns; every field left out matches all.")
class CampaignFilter:
    category: Category | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only campaigns about this."
    )
    terms_kind: TermsKind | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only campaigns paying this way."
    )
    min_fee: MoneyInput | None = strawberry.field(
        default=None,
        description="Only campaigns whose flat fee is at least this (campaigns without a flat "
        "fee are left out).",
    )
    max_fee: MoneyInput | None = strawberry.field(
        default=None,
        description="Only campaigns whose flat fee is at most this (campaigns without a flat "
        "fee are left out).",
    )
    qualified_only: bool | None = strawberry.field(
        default=None,
        description="Only campaigns whose requirements you meet (followers, country, "
        "categories). Default: true for a logged-in PERSONAL account, false otherwise; "
        "ignored when not logged in.",
    )


# --- input translation -------------------------------------------------------------------


def instant(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise DomainError(
            'Send instants with a zone, e.g. "2026-12-05T10:00:00Z".',
            code=ErrorCode.INVALID_INPUT,
            field=("input", name),
        )
    return value.astimezone(UTC)


def cents_of(money: MoneyInput | None, *field: str) -> int | None:
    return None if money is None else minor_units(money, ("input", *field))


def terms_of(terms: CampaignTermsInput | None) -> TermsDraft | None:
    if terms is None:
        return None
    return TermsDraft(
        kind=models.TermsKind(terms.kind),
        flat_fee_cents=cents_of(terms.flat_fee, "terms", "flatFee"),
        commission_basis_points=terms.commission_basis_points,
        cents_per_1000_views=cents_of(terms.per_thousand_views, "terms", "perThousandViews"),
        cap_per_creator_cents=cents_of(terms.cap_per_creator, "terms", "capPerCreator"),
        allows_offers=terms.allows_offers,
    )


def tiers_of(tiers: list[PrizeTierInput] | None) -> tuple[TierDraft, ...]:
    return tuple(
        TierDraft(
            rank_from=t.rank_from,
            rank_to=t.rank_to,
            amount_cents=minor_units(t.amount, ("input", "prizeTiers", str(i), "amount")),
        )
        for i, t in enumerate(tiers or ())
    )


def draft_of(data: CreateCampaignInput) -> CampaignDraft:
    ends = instant(data.posting_ends_at, "postingEndsAt")
    deadline = data.application_deadline
    return CampaignDraft(
        kind=models.CampaignKind(data.kind),
        title=data.title,
        brief=data.brief,
        category=models.Category(data.category),
        posting_starts_at=instant(data.posting_starts_at, "postingStartsAt"),
        posting_ends_at=ends,
        application_deadline=ends if deadline is None else instant(deadline, "applicationDeadline"),
        budget_cents=minor_units(data.budget, ("input", "budget")),
        videos_required=data.videos_required,
        hashtag=data.hashtag,
        mention=data.mention,
        min_followers=data.min_followers,
        countries=tuple(data.countries),
        categories=tuple(models.Category(c) for c in data.categories),
        creator_slots=data.creator_slots,
        terms=terms_of(data.terms),
        ranking=None if data.ranking is None else models.ChallengeRanking(data.ranking),
        prize_tiers=tiers_of(data.prize_tiers),
    )


# Fields that may not be sent as null (they have no "none" value).
_NOT_NULL = {
    "title": "title",
    "brief": "brief",
    "category": "category",
    "posting_starts_at": "postingStartsAt",
    "posting_ends_at": "postingEndsAt",
    "budget": "budget",
    "application_deadline": "applicationDeadline",
    "videos_required": "videosRequired",
    "min_followers": "minFollowers",
    "countries": "countries",
    "categories": "categories",
    "creator_slots": "creatorSlots",
}


def changes_of(data: UpdateCampaignInput) -> dict[str, Any]:
    """The CampaignDraft fields the input changes, translated."""
    sent = {
        name: getattr(data, name)
        for name in (*_NOT_NULL, "hashtag", "mention", "terms", "ranking", "prize_tiers")
        if not isinstance(getattr(data, name), UnsetType)
    }
    for name, wire in _NOT_NULL.items():
        if name in sent and sent[name] is None:
            raise DomainError(
                f"`{wire}` cannot be null; leave it out to keep it.",
                code=ErrorCode.INVALID_INPUT,
                field=("input", wire),
            )
    changes: dict[str, Any] = {}
    for name, value in sent.items():
        wire = _NOT_NULL.get(name, name)
        if name in ("posting_starts_at", "posting_ends_at", "application_deadline"):
            value = instant(value, wire)
        elif name == "budget":
            name, value = "budget_cents", minor_units(value, ("input", "budget"))
        elif name == "category":
            value = models.Category(value)
        elif name == "countries":
            value = tuple(value)
        elif name == "categories":
            value = tuple(models.Category(c) for c in value)
        elif name == "terms":
            value = terms_of(value)
        elif name == "ranking":
            value = None if value is None else models.ChallengeRanking(value)
        elif name == "prize_tiers":
            value = tiers_of(value)
        changes[name] = value
    return changes


def campaign_id_of(value: strawberry.ID) -> int:
    return decode_id_of(value, "Campaign", CAMPAIGN_ID)
