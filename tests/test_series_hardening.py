"""Series edge cases found in review: odd input that must be a clean error, and a provider
refund that fails after the purchase was refunded."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.factories import SUCCESS_TOKEN, enrol, make_staff, new_key, sign_up

pytestmark = pytest.mark.usefixtures("verify_ledger")


async def published_series(api: Any, creator: Any) -> str:
    created = await api.mutate(
        "createSeries", {"title": "Show", "priceCents": 499}, "series { id }", creator.token
    )
    series_id = created["series"]["id"]
    await api.mutate(
        "addSeriesEpisode",
        {"seriesId": series_id, "title": "One", "durationSeconds": 60},
        "episode { id }",
        creator.token,
    )
    await api.mutate("publishSeries", {"seriesId": series_id}, "series { id }", creator.token)
    return series_id


async def test_a_cover_url_that_cannot_be_parsed_is_invalid_url(api, clean_db):
    star = await sign_up(api, "star")
    await enrol(clean_db, star, "SERIES")

    payload = await api.mutate(
        "createSeries",
        {"title": "Show", "priceCents": 499, "coverUrl": "http://[oops/x"},
        "series { id }",
        star.token,
    )

    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_URL", ["input", "coverUrl"])
    ]
    assert payload["series"] is None


@pytest.mark.parametrize("how", ["variables", "literal"])
async def test_text_with_a_nul_character_is_refused_before_anything_runs(api, clean_db, how):
    star = await sign_up(api, "star")
    await enrol(clean_db, star, "SERIES")
    if how == "variables":
        body = await api.execute(
            "mutation($i: CreateSeriesInput!) { createSeries(input: $i) { series { id } } }",
            {"i": {"title": "bad\x00title", "priceCents": 499}},
            star.token,
        )
    else:
        body = await api.execute(
            'mutation { createSeries(input: {title: "bad\\u0000title", priceCents: 499}) '
            "{ series { id } } }",
            token=star.token,
        )

    assert "data" not in body  # refused before execution
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    async with clean_db.connect() as connection:
        assert await connection.scalar(sa.text("SELECT count(*) FROM series")) == 0


@pytest.mark.parametrize("sig", ["%C3%A9", "z" * 64, "A" * 64])
async def test_media_answers_malformed_for_a_signature_that_is_not_hex(api, sig):
    response = await api.client.get(
        f"/media/abc?expires=9999999999&sig={sig}", headers={"Authorization": "Bearer rps_any"}
    )
    assert (response.status_code, response.json()) == (403, {"error": "MALFORMED"})


async def test_a_failed_provider_refund_still_leaves_the_refund_recorded(api, clean_db):
    star, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    staff = await make_staff(api, clean_db)
    await enrol(clean_db, star, "SERIES")
    series_id = await published_series(api, star)
    bought = await api.mutate(
        "purchaseSeries",
        {"seriesId": series_id, "paidWith": "CARD", "paymentToken": SUCCESS_TOKEN,
         "idempotencyKey": new_key()},
        "purchase { id }",
        fan.token,
    )  # fmt: skip
    services = api.client._transport.app.state.services
    sandbox = services.payments

    class Failing:
        name = sandbox.name

        async def charge(self, request: Any) -> Any:
            return await sandbox.charge(request)

        async def refund(self, charge_id: str) -> None:
            raise RuntimeError("provider unavailable")

    services.payments = Failing()
    try:
        refunded = await api.mutate(
            "refundSeriesPurchase",
            {"purchaseId": bought["purchase"]["id"]},
            "purchase { status }",
            staff.token,
        )
    finally:
        services.payments = sandbox

    assert refunded == {"purchase": {"status": "REFUNDED"}, "userErrors": []}
    async with clean_db.connect() as connection:
        owed = (
            await connection.execute(
                sa.text("SELECT provider_charge_id, amount_cents, provider FROM refunded_charges")
            )
        ).all()
        kept = await connection.scalar(sa.text("SELECT provider_charge_id FROM payments"))
    # The refund owed is on record (for a person or a sweeper), against the charge we kept.
    assert [(charge, cents, provider) for charge, cents, provider in owed] == [
        (kept, 499, "sandbox")
    ]
