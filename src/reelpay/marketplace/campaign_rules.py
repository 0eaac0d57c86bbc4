"""Pure rules of campaigns: who sees and manages one, and the checks of a brand's input."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import TypeVar

from reelpay.accounts import validation
from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode, Problem
from reelpay.marketplace.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Category,
    ChallengeRanking,
    TermsKind,
)
from reelpay.settings import Rules

T = TypeVar("T")

# The states everyone (anonymous visitors included) may see a campaign's public fields in.
PUBLIC_STATUSES = frozenset(
    {CampaignStatus.OPEN, CampaignStatus.IN_PROGRESS, CampaignStatus.COMPLETED}
)
# Running: money may still move and deliverables stay locked.
RUNNING_STATUSES = frozenset({CampaignStatus.OPEN, CampaignStatus.IN_PROGRESS})


def is_brand_of(viewer: Account | None, campaign: Campaign) -> bool:
    """Whether `viewer` is the brand that runs `campaign`."""
    return viewer is not None and viewer.id == campaign.brand_id


def sees_whole(viewer: Account | None, campaign: Campaign) -> bool:
    """The brand and staff see a campaign whole (its money, proposals and deals)."""
    return viewer is not None and (viewer.id == campaign.brand_id or viewer.is_staff)


def can_see(viewer: Account | None, campaign: Campaign, *, involved: bool = False) -> bool:
    """Whether `viewer` may see the campaign at all: its brand and staff always; everyone
    its public fields while OPEN, IN_PROGRESS or COMPLETED; a creator with a proposal or deal
    in it (`involved`) also once CANCELLED. A DRAFT is its brand's (and staff's) alone."""
    if sees_whole(viewer, campaign) or campaign.status in PUBLIC_STATUSES:
        return True
    return involved and campaign.status is not CampaignStatus.DRAFT


def accepts_applications(campaign: Campaign, now: datetime) -> bool:
    """OPEN or IN_PROGRESS, applications not paused, before the deadline (slots aside)."""
    return (
        campaign.status in RUNNING_STATUSES
        and not campaign.applications_paused
        and now < campaign.application_deadline
    )


# --- a brand's input ----------------------------------------------------------------------


@dataclass(frozen=True)
class TermsDraft:
    """How a DEAL campaign pays (amounts in US cents)."""

    kind: TermsKind
    flat_fee_cents: int | None = None
    commission_basis_points: int | None = None
    cents_per_1000_views: int | None = None
    cap_per_creator_cents: int | None = None
    allows_offers: bool = False


@dataclass(frozen=True)
class TierDraft:
    """Each entry ranked `rank_from`..`rank_to` wins `amount_cents`."""

    rank_from: int
    rank_to: int
    amount_cents: int

    @property
    def total_cents(self) -> int:
        return (self.rank_to - self.rank_from + 1) * self.amount_cents


@dataclass(frozen=True)
class CampaignDraft:
    """Every field a brand sets on a campaign, as `check_campaign` checks them together."""

    kind: CampaignKind
    title: str
    brief: str
    category: Category
    posting_starts_at: datetime
    posting_ends_at: datetime
    application_deadline: datetime
    budget_cents: int
    videos_required: int = 1
    hashtag: str | None = None
    mention: str | None = None
    min_followers: int = 0
    countries: tuple[str, ...] = ()
    categories: tuple[Category, ...] = ()
    creator_slots: int = 1
    terms: TermsDraft | None = None
    ranking: ChallengeRanking | None = None
    prize_tiers: tuple[TierDraft, ...] = ()


INPUT = "input"
MAX_COUNTRIES = 50
HASHTAG_MAX_LENGTH = 100
# Far above any audience; keeps the number inside every database's integer.
MAX_MIN_FOLLOWERS = 10**12
MAX_BASIS_POINTS = 10_000
_HASHTAG = re.compile(r"^\w+$")


def _problem(message: str, *field: str, code: ErrorCode = ErrorCode.INVALID_INPUT) -> Problem:
    return Problem(code, message, (INPUT, *field))


def _checked(problems: list[Problem], check: Callable[[], T]) -> T | None:
    """`check()`, or None with its problems added (a validator raises DomainError)."""
    try:
        return check()
    except DomainError as error:
        problems.extend(error.problems)
        return None


def check_campaign(draft: CampaignDraft, rules: Rules) -> tuple[CampaignDraft, list[Problem]]:
    """The draft normalised (trimmed text, no "#" or "@", upper-case unique countries) and
    every problem with it, one per bad field; no problems means it may be saved."""
    problems: list[Problem] = []
    title = _checked(
        problems,
        lambda: validation.text(
            draft.title, min_length=1, max_length=rules.campaign_title_max_length,
            what="A title", field=(INPUT, "title"),
        ),
    )  # fmt: skip
    brief = _checked(
        problems,
        lambda: validation.text(
            draft.brief, min_length=1, max_length=rules.campaign_brief_max_length,
            what="A brief", field=(INPUT, "brief"), multiline=True,
        ),
    )  # fmt: skip
    if not draft.posting_starts_at < draft.posting_ends_at:
        problems.append(_problem("The posting window must end after it starts.", "postingEndsAt"))
    if not draft.application_deadline <= draft.posting_ends_at:
        problems.append(
            _problem(
                "The application deadline must not be after the posting window ends.",
                "applicationDeadline",
            )
        )
    if not 1 <= draft.creator_slots <= rules.campaign_max_slots:
        problems.append(
            _problem(f"Creator slots are 1 to {rules.campaign_max_slots}.", "creatorSlots")
        )
    if not 1 <= draft.videos_required <= rules.campaign_max_videos:
        problems.append(
            _problem(f"Videos required are 1 to {rules.campaign_max_videos}.", "videosRequired")
        )
    elif draft.kind is CampaignKind.CHALLENGE and draft.videos_required != 1:
        problems.append(_problem("A challenge entry is one video.", "videosRequired"))
    budget_ok = rules.campaign_min_budget_cents <= draft.budget_cents
    budget_ok = budget_ok and draft.budget_cents <= rules.campaign_max_budget_cents
    if not budget_ok:
        problems.append(
            _problem(
                f"The budget is {_usd(rules.campaign_min_budget_cents)} to "
                f"{_usd(rules.campaign_max_budget_cents)}.",
                "budget",
            )
        )
    hashtag = _hashtag(draft.hashtag, problems)
    mention = _mention(draft.mention, problems, rules)
    if not 0 <= draft.min_followers <= MAX_MIN_FOLLOWERS:
        problems.append(_problem("Minimum followers cannot be negative.", "minFollowers"))
    countries = _countries(draft.countries, problems)
    categories = tuple(sorted(dict.fromkeys(draft.categories)))
    if draft.kind is CampaignKind.DEAL:
        _check_deal(draft, problems, budget_ok)
    else:
        _check_challenge(draft, hashtag, problems, rules, budget_ok)
    normalised = replace(
        draft, title=title or draft.title, brief=brief or draft.brief, hashtag=hashtag,
        mention=mention, countries=countries, categories=categories,
    )  # fmt: skip
    return normalised, problems


def _usd(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d} USD"


def _hashtag(value: str | None, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    tag = value.strip().removeprefix("#")
    if tag == "":
        return None
    if len(tag) > HASHTAG_MAX_LENGTH or not _HASHTAG.match(tag):
        problems.append(
            _problem(
                f'A hashtag is 1 to {HASHTAG_MAX_LENGTH} letters, digits or "_" (the "#" is '
                "optional).",
                "hashtag",
            )
        )
        return None
    return tag


def _mention(value: str | None, problems: list[Problem], rules: Rules) -> str | None:
    handle = (value or "").strip().removeprefix("@")
    if handle == "":
        return None
    return _checked(problems, partial(validation.handle, handle, rules, (INPUT, "mention")))


def _countries(values: tuple[str, ...], problems: list[Problem]) -> tuple[str, ...]:
    found: list[str] = []
    for index, value in enumerate(values):
        code = _checked(
            problems, partial(validation.country, value, (INPUT, "countries", str(index)))
        )
        if code is not None and code not in found:
            found.append(code)
    if len(found) > MAX_COUNTRIES:
        problems.append(_problem(f"Name at most {MAX_COUNTRIES} countries.", "countries"))
    return tuple(sorted(found))


def _check_deal(draft: CampaignDraft, problems: list[Problem], budget_ok: bool) -> None:
    if draft.ranking is not None:
        problems.append(_problem("Only a challenge has a ranking.", "ranking"))
    if draft.prize_tiers:
        problems.append(_problem("Only a challenge has prize tiers.", "prizeTiers"))
    terms = draft.terms
    if terms is None:
        problems.append(_problem("A DEAL campaign needs its terms.", "terms"))
        return
    before = len(problems)
    for name, cents in (
        ("flatFee", terms.flat_fee_cents),
        ("perThousandViews", terms.cents_per_1000_views),
        ("capPerCreator", terms.cap_per_creator_cents),
    ):
        if cents is not None and cents <= 0:
            problems.append(_problem("The amount must be more than 0.", "terms", name))
    if terms.kind is TermsKind.FLAT_FEE:
        if terms.flat_fee_cents is None:
            problems.append(_problem("FLAT_FEE terms need a flat fee.", "terms", "flatFee"))
        _absent(terms, problems, "FLAT_FEE", commission=True, per_view=True, cap=True)
    elif terms.kind is TermsKind.COMMISSION:
        rate = terms.commission_basis_points
        if rate is None or not 1 <= rate <= MAX_BASIS_POINTS:
            problems.append(
                _problem(
                    "COMMISSION terms need a rate of 1 to 10,000 basis points (100 = 1%).",
                    "terms",
                    "commissionBasisPoints",
                )
            )
        if terms.cap_per_creator_cents is None:
            problems.append(
                _problem("COMMISSION terms need a cap per creator.", "terms", "capPerCreator")
            )
        _absent(terms, problems, "COMMISSION", commission=False, per_view=True, cap=False)
    else:
        if terms.cents_per_1000_views is None:
            problems.append(
                _problem(
                    "PER_VIEW terms need an amount per 1,000 views.", "terms", "perThousandViews"
                )
            )
        if terms.cap_per_creator_cents is None:
            problems.append(
                _problem("PER_VIEW terms need a cap per creator.", "terms", "capPerCreator")
            )
        _absent(terms, problems, "PER_VIEW", commission=True, per_view=False, cap=False)
    if len(problems) > before or not budget_ok:
        return
    per_creator = (terms.flat_fee_cents or 0) + (terms.cap_per_creator_cents or 0)
    if per_creator * draft.creator_slots > draft.budget_cents:
        problems.append(
            _problem(
                f"{draft.creator_slots} creators at up to {_usd(per_creator)} each (the flat "
                f"fee plus the cap) need {_usd(per_creator * draft.creator_slots)}, more than "
                f"the budget of {_usd(draft.budget_cents)}.",
                "budget",
            )
        )


def _absent(
    terms: TermsDraft,
    problems: list[Problem],
    kind: str,
    *,
    commission: bool,
    per_view: bool,
    cap: bool,
) -> None:
    """Fields `kind` terms do not have must be left out."""
    for name, unwanted, value in (
        ("commissionBasisPoints", commission, terms.commission_basis_points),
        ("perThousandViews", per_view, terms.cents_per_1000_views),
        ("capPerCreator", cap, terms.cap_per_creator_cents),
    ):
        if unwanted and value is not None:
            problems.append(_problem(f"{kind} terms have no `{name}`.", "terms", name))


def _check_challenge(
    draft: CampaignDraft,
    hashtag: str | None,
    problems: list[Problem],
    rules: Rules,
    budget_ok: bool,
) -> None:
    if draft.terms is not None:
        problems.append(_problem("A challenge pays prize tiers, not terms.", "terms"))
    if draft.hashtag is None or (hashtag is None and not _has(problems, "hashtag")):
        problems.append(_problem("A challenge needs a hashtag.", "hashtag"))
    if draft.ranking is None:
        problems.append(_problem("A challenge needs a ranking rule.", "ranking"))
    problem = tiers_problem(draft.prize_tiers, rules)
    if problem is None and budget_ok:
        total = sum(tier.total_cents for tier in draft.prize_tiers)
        if total != draft.budget_cents:
            problem = (
                f"The prize tiers add up to {_usd(total)}; they must add up to the budget, "
                f"{_usd(draft.budget_cents)}."
            )
    if problem is not None:
        problems.append(_problem(problem, "prizeTiers", code=ErrorCode.INVALID_PRIZE_TIERS))


def _has(problems: list[Problem], name: str) -> bool:
    return any(p.field == (INPUT, name) for p in problems)


def tiers_problem(tiers: tuple[TierDraft, ...], rules: Rules) -> str | None:
    """What is wrong with prize tiers (None: they cover ranks 1..N without gaps or
    overlaps, each pays more than 0, within the limits)."""
    if not tiers:
        return "A challenge needs at least one prize tier."
    if len(tiers) > rules.campaign_max_prize_tiers:
        return f"A challenge has at most {rules.campaign_max_prize_tiers} prize tiers."
    expected = 1
    for tier in sorted(tiers, key=lambda t: t.rank_from):
        if tier.amount_cents <= 0:
            return "Every prize tier pays more than 0."
        if tier.rank_to < tier.rank_from:
            return f"A tier's ranks run upwards ({tier.rank_from} to {tier.rank_to} does not)."
        if tier.rank_from != expected:
            what = "overlaps the tier before" if tier.rank_from < expected else "leaves a gap"
            return (
                f"The tier from rank {tier.rank_from} {what}: tiers cover ranks 1, 2, ... in turn."
            )
        if tier.rank_to > rules.campaign_max_prize_rank:
            return f"Prizes go to rank {rules.campaign_max_prize_rank} at most."
        expected = tier.rank_to + 1
    return None
