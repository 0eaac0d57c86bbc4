"""The GraphQL documents of the bench scenarios (the wrk scripts and the checks send these)."""

from __future__ import annotations

APPROVE = (
    "mutation Approve($input: ApproveDealInput!) { approveDeal(input: $input) { "
    "deal { id status fee { amount currency } paid { amount currency } "
    "reserved { amount currency } } userErrors { code message field } } }"
)

DOCUMENTS = {
    "profile": (
        "query Profile($handle: String!) { account(handle: $handle) { id handle displayName bio "
        "followerCount followingCount pinnedVideos { id title durationSeconds } "
        "videos(first: 20) { edges { cursor node { id title durationSeconds viewCount "
        "publishedAt } } pageInfo { hasNextPage endCursor } } } }"
    ),
    "series": (
        "query SeriesPage($id: ID!) { node(id: $id) { ... on Series { id title description "
        "price { amount currency minorUnits } episodeCount viewerAccess { allowed reason } "
        "episodes { id position title durationSeconds "
        "playback { allowed reason url expiresAt } } } } }"
    ),
    "accounts": (
        "query Accounts { accounts(first: 100) { edges { node { handle "
        "videos(first: 10) { edges { node { id title } } } } } } }"
    ),
    "gift": (
        "mutation Gift($input: SendGiftInput!) { sendGift(input: $input) { "
        "gift { quantity coins diamonds } wallet { coins } userErrors { code message field } } }"
    ),
    "purchase": (
        "mutation Buy($input: PurchaseSeriesInput!) { purchaseSeries(input: $input) { "
        "purchase { id coins status price { amount currency } } wallet { coins } "
        "userErrors { code message field } } }"
    ),
    "typename": "{ __typename }",
    "campaigns": (
        "query Browse { campaigns(first: 20) { edges { node { id title brand { handle } "
        "brandProfile { name } category terms { kind flatFee { amount currency } } "
        "applicationDeadline creatorSlots slotsTaken } } pageInfo { hasNextPage endCursor } } }"
    ),
    "approve": APPROVE,
    "approve_hot": APPROVE,
}
