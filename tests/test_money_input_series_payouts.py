"""MoneyInput on Series prices and payout requests: `price`/`amount` and the deprecated
`priceCents`/`amountCents` give identical results, each limit holds to the cent in both forms,
and bad money input is a userError with a code and a field that writes nothing. Both backends."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import User, add_paypal, credit_earnings, enrol, new_key, sign_up

pytestmark = pytest.mark.usefixtures("verify_ledger")

SERIES = "series { id price { amount currency minorUnits } }"


def usd(amount: str, currency: str = "USD") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


async def creator_of(api: Any) -> User:
    creator = await sign_up(api, "maker")
    await enrol(api.engine, creator, "SERIES")
    return creator


async def series_count(api: Any, creator: User) -> int:
    query = "{ viewer { series { totalCount } } }"
    return (await api.data(query, token=creator.token))["viewer"]["series"]["totalCount"]  # type: ignore[no-any-return]


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


@pytest.mark.parametrize(
    ("price", "cents", "accepted"),
    [("0.98", 98, False), ("0.99", 99, True), ("189.99", 18999, True), ("190.00", 19000, False)],
)
async def test_series_price_limits_in_both_forms(
    api: Any, price: str, cents: int, accepted: bool
) -> None:
    creator = await creator_of(api)
    new = await api.mutate("createSeries", {"title": "A", "price": usd(price)}, SERIES,
                           token=creator.token)  # fmt: skip
    old = await api.mutate("createSeries", {"title": "B", "priceCents": cents}, SERIES,
                           token=creator.token)  # fmt: skip
    if accepted:
        assert new["userErrors"] == old["userErrors"] == []
        assert new["series"]["price"] == old["series"]["price"] == {
            "amount": price, "currency": "USD", "minorUnits": cents,
        }  # fmt: skip
        assert await series_count(api, creator) == 2
    else:
        assert new["series"] is None and old["series"] is None
        assert errors(new) == [("INVALID_PRICE", ["input", "price"])]
        assert errors(old) == [("INVALID_PRICE", ["input", "priceCents"])]
        assert await series_count(api, creator) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"price": usd("4.999")}, ["input", "price", "amount"]),
        ({"price": usd("4.99", "EUR")}, ["input", "price", "currency"]),
        ({"price": usd("NaN")}, ["input", "price", "amount"]),
        ({"price": usd("4.99"), "priceCents": 499}, ["input", "priceCents"]),
        ({}, ["input", "price"]),
    ],
)
async def test_bad_series_price_writes_nothing(
    api: Any, fields: dict[str, Any], field: list[str]
) -> None:
    creator = await creator_of(api)
    payload = await api.mutate("createSeries", {"title": "A", **fields}, SERIES,
                               token=creator.token)  # fmt: skip
    assert payload["series"] is None
    assert errors(payload) == [("INVALID_INPUT", field)]
    assert await series_count(api, creator) == 0


async def test_update_series_price_in_either_form_not_both(api: Any) -> None:
    creator = await creator_of(api)
    created = await api.mutate("createSeries", {"title": "A", "price": usd("4.99")}, SERIES,
                               token=creator.token)  # fmt: skip
    series_id = created["series"]["id"]
    both = await api.mutate(
        "updateSeries", {"seriesId": series_id, "price": usd("5.99"), "priceCents": 599},
        SERIES, token=creator.token,
    )  # fmt: skip
    assert errors(both) == [("INVALID_INPUT", ["input", "priceCents"])]
    new = await api.mutate("updateSeries", {"seriesId": series_id, "price": usd("5.99")},
                           SERIES, token=creator.token)  # fmt: skip
    assert new["series"]["price"]["minorUnits"] == 599
    old = await api.mutate("updateSeries", {"seriesId": series_id, "priceCents": 699},
                           SERIES, token=creator.token)  # fmt: skip
    assert old["series"]["price"]["minorUnits"] == 699
    neither = await api.mutate("updateSeries", {"seriesId": series_id, "title": "B"},
                               SERIES, token=creator.token)  # fmt: skip
    assert neither["userErrors"] == [] and neither["series"]["price"]["minorUnits"] == 699
    low = await api.mutate("updateSeries", {"seriesId": series_id, "price": usd("0.98")},
                           SERIES, token=creator.token)  # fmt: skip
    assert errors(low) == [("INVALID_PRICE", ["input", "price"])]


PAYOUT = "payout { id amount { minorUnits } } wallet { earnings { minorUnits } }"


async def payout_creator(api: Any) -> User:
    creator = await sign_up(api, "maker")
    await credit_earnings(api.engine, creator, 50_000)
    await add_paypal(api, creator)
    return creator


async def payout_count(api: Any, creator: User) -> int:
    query = "{ viewer { payouts { history { totalCount } } } }"
    viewer = (await api.data(query, token=creator.token))["viewer"]
    return viewer["payouts"]["history"]["totalCount"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("amount", "cents", "accepted"), [("99.99", 9999, False), ("100.00", 10000, True)]
)
async def test_payout_threshold_in_both_forms(
    api: Any, amount: str, cents: int, accepted: bool
) -> None:
    creator = await payout_creator(api)
    new = await api.mutate("requestPayout", {"amount": usd(amount), "idempotencyKey": new_key()},
                           PAYOUT, token=creator.token)  # fmt: skip
    old = await api.mutate("requestPayout", {"amountCents": cents, "idempotencyKey": new_key()},
                           PAYOUT, token=creator.token)  # fmt: skip
    if accepted:
        assert new["userErrors"] == old["userErrors"] == []
        assert new["payout"]["amount"] == old["payout"]["amount"] == {"minorUnits": cents}
        assert old["wallet"]["earnings"]["minorUnits"] == 50_000 - 2 * cents
        assert await payout_count(api, creator) == 2
    else:
        assert errors(new) == [("BELOW_PAYOUT_THRESHOLD", ["input", "amount"])]
        assert errors(old) == [("BELOW_PAYOUT_THRESHOLD", ["input", "amountCents"])]
        assert await payout_count(api, creator) == 0


async def test_both_forms_are_the_same_request(api: Any) -> None:
    """A key first sent with `amount` replays with the same sum in `amountCents`."""
    creator = await payout_creator(api)
    key = new_key()
    first = await api.mutate("requestPayout", {"amount": usd("120"), "idempotencyKey": key},
                             PAYOUT, token=creator.token)  # fmt: skip
    again = await api.mutate("requestPayout", {"amountCents": 12_000, "idempotencyKey": key},
                             PAYOUT, token=creator.token)  # fmt: skip
    assert first["userErrors"] == again["userErrors"] == []
    assert first["payout"] == again["payout"]
    assert again["wallet"]["earnings"]["minorUnits"] == 38_000
    assert await payout_count(api, creator) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": usd("150.001")}, ["input", "amount", "amount"]),
        ({"amount": usd("150.00", "EUR")}, ["input", "amount", "currency"]),
        ({"amount": usd("NaN")}, ["input", "amount", "amount"]),
        ({"amount": usd("150.00"), "amountCents": 15_000}, ["input", "amountCents"]),
        ({}, ["input", "amount"]),
    ],
)
async def test_bad_payout_amount_writes_nothing(
    api: Any, fields: dict[str, Any], field: list[str]
) -> None:
    creator = await payout_creator(api)
    payload = await api.mutate("requestPayout", {**fields, "idempotencyKey": new_key()}, PAYOUT,
                               token=creator.token)  # fmt: skip
    assert payload["payout"] is None and payload["wallet"] is None
    assert errors(payload) == [("INVALID_INPUT", field)]
    assert await payout_count(api, creator) == 0
    wallet = await api.data("{ viewer { wallet { earnings { minorUnits } } } }",
                            token=creator.token)  # fmt: skip
    assert wallet["viewer"]["wallet"]["earnings"]["minorUnits"] == 50_000
