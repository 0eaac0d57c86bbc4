"""The pure rules of campaigns (`marketplace.campaign_rules`), as tables of cases: a brand's
input, prize tiers, who sees a campaign and when it takes applications."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from reelpay.errors import ErrorCode
from reelpay.marketplace.campaign_rules import (
    CampaignDraft,
    TermsDraft,
    TierDraft,
    accepts_applications,
    can_see,
    check_campaign,
    sees_whole,
    tiers_problem,
)
from reelpay.marketplace.models import (
    CampaignKind,
    CampaignStatus,
    Category,
    ChallengeRanking,
    TermsKind,
)
from reelpay.settings import Rules

RULES = Rules()
T0 = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)

DEAL = CampaignDraft(
    kind=CampaignKind.DEAL,
    title="Glow",
    brief="Show our serum.",
    category=Category.BEAUTY,
    posting_starts_at=T0,
    posting_ends_at=T0 + timedelta(days=30),
    application_deadline=T0 + timedelta(days=14),
    budget_cents=100_000,
    creator_slots=4,
    terms=TermsDraft(TermsKind.FLAT_FEE, flat_fee_cents=25_000),
)
CHALLENGE = replace(
    DEAL,
    kind=CampaignKind.CHALLENGE,
    terms=None,
    creator_slots=1,
    hashtag="glow",
    ranking=ChallengeRanking.AUTHENTIC_VIEWS,
    prize_tiers=(TierDraft(1, 1, 50_000), TierDraft(2, 6, 10_000)),
)


def problems(draft: CampaignDraft) -> list[tuple[ErrorCode, tuple[str, ...] | None]]:
    return [(p.code, p.field) for p in check_campaign(draft, RULES)[1]]


BAD = ErrorCode.INVALID_INPUT
TIERS = ErrorCode.INVALID_PRIZE_TIERS


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"title": ""}, [(BAD, ("input", "title"))]),
        ({"title": "   "}, [(BAD, ("input", "title"))]),
        ({"title": "x" * 100}, []),
        ({"title": "x" * 101}, [(BAD, ("input", "title"))]),
        ({"title": "two\nlines"}, [(BAD, ("input", "title"))]),
        ({"brief": ""}, [(BAD, ("input", "brief"))]),
        ({"brief": "line one\nline two"}, []),
        ({"brief": "x" * 4_001}, [(BAD, ("input", "brief"))]),
        # The posting window: start < end.
        (
            {"posting_ends_at": T0},
            [(BAD, ("input", "postingEndsAt")), (BAD, ("input", "applicationDeadline"))],
        ),
        ({"posting_ends_at": T0 + timedelta(seconds=1), "application_deadline": T0}, []),
        # The deadline at the window's end exactly is fine; a second after is not.
        ({"application_deadline": T0 + timedelta(days=30)}, []),
        (
            {"application_deadline": T0 + timedelta(days=30, seconds=1)},
            [(BAD, ("input", "applicationDeadline"))],
        ),
        (
            {"creator_slots": 0, "terms": TermsDraft(TermsKind.FLAT_FEE, flat_fee_cents=1)},
            [(BAD, ("input", "creatorSlots"))],
        ),
        ({"creator_slots": 100, "terms": TermsDraft(TermsKind.FLAT_FEE, flat_fee_cents=1_000)}, []),
        (
            {"creator_slots": 101, "terms": TermsDraft(TermsKind.FLAT_FEE, flat_fee_cents=100)},
            [(BAD, ("input", "creatorSlots"))],
        ),
        ({"videos_required": 0}, [(BAD, ("input", "videosRequired"))]),
        ({"videos_required": 10}, []),
        ({"videos_required": 11}, [(BAD, ("input", "videosRequired"))]),
        # The budget: 1.00 to 100,000.00 USD.
        (
            {
                "budget_cents": 99,
                "terms": TermsDraft(TermsKind.FLAT_FEE, flat_fee_cents=1),
                "creator_slots": 1,
            },
            [(BAD, ("input", "budget"))],
        ),
        (
            {
                "budget_cents": 100,
                "terms": TermsDraft(TermsKind.FLAT_FEE, flat_fee_cents=100),
                "creator_slots": 1,
            },
            [],
        ),
        ({"budget_cents": 10_000_000}, []),
        ({"budget_cents": 10_000_001}, [(BAD, ("input", "budget"))]),
        ({"hashtag": "#glow_up2"}, []),
        ({"hashtag": "glow up"}, [(BAD, ("input", "hashtag"))]),
        ({"hashtag": "#" + "x" * 101}, [(BAD, ("input", "hashtag"))]),
        ({"mention": "@brand.official"}, []),
        ({"mention": "@bad handle"}, [(ErrorCode.INVALID_HANDLE, ("input", "mention"))]),
        ({"min_followers": -1}, [(BAD, ("input", "minFollowers"))]),
        ({"countries": ("us", "FR", "US")}, []),
        ({"countries": ("US", "XX")}, [(ErrorCode.INVALID_COUNTRY, ("input", "countries", "1"))]),
        ({"terms": None}, [(BAD, ("input", "terms"))]),
        ({"ranking": ChallengeRanking.AUTHENTIC_VIEWS}, [(BAD, ("input", "ranking"))]),
        ({"prize_tiers": (TierDraft(1, 1, 100_000),)}, [(BAD, ("input", "prizeTiers"))]),
        # Several bad fields at once: each reported.
        (
            {"title": "", "brief": "", "creator_slots": 0, "videos_required": 0},
            [
                (BAD, ("input", "title")),
                (BAD, ("input", "brief")),
                (BAD, ("input", "creatorSlots")),
                (BAD, ("input", "videosRequired")),
            ],
        ),
    ],
)
def test_deal_fields(changes: dict[str, Any], expected: list[Any]) -> None:
    assert problems(replace(DEAL, **changes)) == expected


def flat(**fields: Any) -> TermsDraft:
    return TermsDraft(TermsKind.FLAT_FEE, **fields)


def commission(**fields: Any) -> TermsDraft:
    return TermsDraft(TermsKind.COMMISSION, **fields)


def per_view(**fields: Any) -> TermsDraft:
    return TermsDraft(TermsKind.PER_VIEW, **fields)


def terms_field(name: str) -> tuple[str, ...]:
    return ("input", "terms", name)


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (flat(flat_fee_cents=25_000), []),
        (flat(), [terms_field("flatFee")]),
        (flat(flat_fee_cents=0), [terms_field("flatFee")]),
        (flat(flat_fee_cents=-5), [terms_field("flatFee")]),
        (flat(flat_fee_cents=25_000, cap_per_creator_cents=1), [terms_field("capPerCreator")]),
        (
            flat(flat_fee_cents=25_000, commission_basis_points=100),
            [terms_field("commissionBasisPoints")],
        ),
        (flat(flat_fee_cents=25_000, allows_offers=True), []),
        (commission(commission_basis_points=1, cap_per_creator_cents=25_000), []),
        (commission(commission_basis_points=10_000, cap_per_creator_cents=25_000), []),
        (
            commission(commission_basis_points=0, cap_per_creator_cents=25_000),
            [terms_field("commissionBasisPoints")],
        ),
        (
            commission(commission_basis_points=10_001, cap_per_creator_cents=25_000),
            [terms_field("commissionBasisPoints")],
        ),
        (commission(commission_basis_points=500), [terms_field("capPerCreator")]),
        (
            commission(
                commission_basis_points=500, cap_per_creator_cents=10_000, flat_fee_cents=15_000
            ),
            [],
        ),
        (
            commission(
                commission_basis_points=500,
                cap_per_creator_cents=10_000,
                cents_per_1000_views=5,
            ),
            [terms_field("perThousandViews")],
        ),
        (per_view(cents_per_1000_views=500, cap_per_creator_cents=25_000), []),
        (per_view(cap_per_creator_cents=25_000), [terms_field("perThousandViews")]),
        (per_view(cents_per_1000_views=500), [terms_field("capPerCreator")]),
        (
            per_view(
                cents_per_1000_views=500, cap_per_creator_cents=25_000, commission_basis_points=1
            ),
            [terms_field("commissionBasisPoints")],
        ),
        # 4 slots x (fee + cap) must fit 100,000: exactly fits, a cent more does not.
        (commission(commission_basis_points=500, cap_per_creator_cents=25_000), []),
        (
            commission(commission_basis_points=500, cap_per_creator_cents=25_001),
            [("input", "budget")],
        ),
        (flat(flat_fee_cents=25_001), [("input", "budget")]),
        (
            per_view(cents_per_1000_views=500, cap_per_creator_cents=15_000, flat_fee_cents=10_000),
            [],
        ),
        (
            per_view(cents_per_1000_views=500, cap_per_creator_cents=15_000, flat_fee_cents=10_001),
            [("input", "budget")],
        ),
    ],
)
def test_terms(terms: TermsDraft, expected: list[tuple[str, ...]]) -> None:
    found = check_campaign(replace(DEAL, terms=terms), RULES)[1]
    assert [p.field for p in found] == expected
    assert all(p.code is ErrorCode.INVALID_INPUT for p in found)


def test_the_budget_problem_names_the_amounts() -> None:
    (problem,) = check_campaign(replace(DEAL, terms=flat(flat_fee_cents=30_000)), RULES)[1]
    assert problem.message == (
        "4 creators at up to 300.00 USD each (the flat fee plus the cap) need 1,200.00 USD, "
        "more than the budget of 1,000.00 USD."
    )


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ((TierDraft(1, 1, 50_000), TierDraft(2, 6, 10_000)), None),
        ((TierDraft(2, 6, 10_000), TierDraft(1, 1, 50_000)), None),  # any order
        ((), "A challenge needs at least one prize tier."),
        (
            (TierDraft(2, 2, 100),),
            "The tier from rank 2 leaves a gap: tiers cover ranks 1, 2, ... in turn.",
        ),
        (
            (TierDraft(1, 2, 100), TierDraft(2, 3, 100)),
            "The tier from rank 2 overlaps the tier before: tiers cover ranks 1, 2, ... in turn.",
        ),
        (
            (TierDraft(1, 1, 100), TierDraft(3, 3, 100)),
            "The tier from rank 3 leaves a gap: tiers cover ranks 1, 2, ... in turn.",
        ),
        ((TierDraft(1, 1, 0),), "Every prize tier pays more than 0."),
        ((TierDraft(1, 1, -1),), "Every prize tier pays more than 0."),
        ((TierDraft(1, 0, 100),), "A tier's ranks run upwards (1 to 0 does not)."),
        ((TierDraft(1, 100, 1),), None),
        ((TierDraft(1, 101, 1),), "Prizes go to rank 100 at most."),
        (tuple(TierDraft(r, r, 1) for r in range(1, 11)), None),
        (
            tuple(TierDraft(r, r, 1) for r in range(1, 12)),
            "A challenge has at most 10 prize tiers.",
        ),
    ],
)
def test_prize_tiers(tiers: tuple[TierDraft, ...], message: str | None) -> None:
    assert tiers_problem(tiers, RULES) == message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        # The tiers must add up to the budget exactly (50,000 + 5 x 10,000).
        ({"budget_cents": 100_001}, [(TIERS, ("input", "prizeTiers"))]),
        ({"budget_cents": 99_999}, [(TIERS, ("input", "prizeTiers"))]),
        ({"prize_tiers": ()}, [(TIERS, ("input", "prizeTiers"))]),
        ({"hashtag": None}, [(BAD, ("input", "hashtag"))]),
        ({"hashtag": "#"}, [(BAD, ("input", "hashtag"))]),
        ({"hashtag": "bad tag"}, [(BAD, ("input", "hashtag"))]),
        ({"ranking": None}, [(BAD, ("input", "ranking"))]),
        ({"terms": flat(flat_fee_cents=1)}, [(BAD, ("input", "terms"))]),
        ({"videos_required": 2}, [(BAD, ("input", "videosRequired"))]),
        ({"ranking": ChallengeRanking.BRAND_CHOICE}, []),
    ],
)
def test_challenge_fields(changes: dict[str, Any], expected: list[Any]) -> None:
    assert problems(replace(CHALLENGE, **changes)) == expected


def test_a_draft_is_normalised() -> None:
    draft, found = check_campaign(
        replace(
            DEAL,
            title="  Glow  ",
            hashtag=" #GlowUp ",
            mention="@Brand",
            countries=("fr", "US", "FR"),
            categories=(Category.TECH, Category.BEAUTY, Category.TECH),
        ),
        RULES,
    )
    assert found == []
    assert (draft.title, draft.hashtag, draft.mention) == ("Glow", "GlowUp", "Brand")
    assert draft.countries == ("FR", "US")
    assert draft.categories == (Category.BEAUTY, Category.TECH)
    assert check_campaign(replace(DEAL, hashtag="", mention=" "), RULES)[0].hashtag is None
    assert check_campaign(replace(DEAL, hashtag="", mention=" "), RULES)[0].mention is None


def account(pk: int, *, staff: bool = False) -> Any:
    return SimpleNamespace(id=pk, is_staff=staff)


BRAND, OTHER, STAFF = account(1), account(2), account(3, staff=True)


def campaign(status: CampaignStatus, **fields: Any) -> Any:
    values = {
        "brand_id": 1,
        "status": status,
        "applications_paused": False,
        "application_deadline": T0 + timedelta(days=1),
    }
    values.update(fields)
    return SimpleNamespace(**values)


S = CampaignStatus


@pytest.mark.parametrize(
    ("status", "brand", "staff", "other", "involved", "anonymous"),
    [
        (S.DRAFT, True, True, False, False, False),
        (S.OPEN, True, True, True, True, True),
        (S.IN_PROGRESS, True, True, True, True, True),
        (S.COMPLETED, True, True, True, True, True),
        (S.CANCELLED, True, True, False, True, False),
    ],
)
def test_who_sees_a_campaign(
    status: CampaignStatus, brand: bool, staff: bool, other: bool, involved: bool, anonymous: bool
) -> None:
    c = campaign(status)
    assert can_see(BRAND, c) is brand
    assert can_see(STAFF, c) is staff
    assert can_see(OTHER, c) is other
    assert can_see(OTHER, c, involved=True) is involved
    assert can_see(None, c) is anonymous
    # Whole (money, proposals, deals): the brand and staff only, in every state.
    assert (sees_whole(BRAND, c), sees_whole(STAFF, c), sees_whole(OTHER, c)) == (True, True, False)
    assert sees_whole(None, c) is False


@pytest.mark.parametrize(
    ("status", "paused", "deadline", "expected"),
    [
        (S.OPEN, False, T0 + timedelta(seconds=1), True),
        (S.IN_PROGRESS, False, T0 + timedelta(seconds=1), True),
        (S.OPEN, False, T0, False),  # at the deadline exactly: closed
        (S.OPEN, True, T0 + timedelta(days=1), False),
        (S.DRAFT, False, T0 + timedelta(days=1), False),
        (S.COMPLETED, False, T0 + timedelta(days=1), False),
        (S.CANCELLED, False, T0 + timedelta(days=1), False),
    ],
)
def test_when_applications_are_accepted(
    status: CampaignStatus, paused: bool, deadline: datetime, expected: bool
) -> None:
    c = campaign(status, applications_paused=paused, application_deadline=deadline)
    assert accepts_applications(c, T0) is expected
