"""Payout methods through the API: linking PayPal and bank accounts (validated, masked, stored
encrypted), the one default, removing, duplicates and the limit, permissions and notifications.

Rules: PayPal emails are trimmed and lowercased; an IBAN has its country's length and a valid
mod-97 checksum (spaces allowed); a US account is a 9-digit ABA routing number with a valid
checksum and 4 to 17 account digits; a holder name has 1 to 100 characters. Only `masked` and
`last4` are ever readable. The first method is the default; removing the default makes the
newest remaining method the default. At most 10 methods; a method a REQUESTED or PROCESSING
payout is going to cannot be removed.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.graphql.relay import encode_id
from reelpay.models import Base
from reelpay.payouts import destinations
from tests import factories
from tests.factories import User, credit_earnings, iban_with_checksum, make_staff, new_key, sign_up

pytestmark = pytest.mark.usefixtures("verify_ledger")

DOTS = "\u2022\u2022\u2022"  # PayPal mask
MASK = "\u2022\u2022\u2022\u2022"  # bank mask
DE_IBAN = "DE89370400440532013000"
GB_IBAN = "GB82WEST12345698765432"
METHOD = "id kind masked last4 holderName country isDefault"
PAYLOAD = f"method {{ {METHOD} }} methods {{ id isDefault }}"
ACCOUNT_METHODS = (
    "query($id: ID!) { node(id: $id) { ... on Account { payouts { methods { @M } } } } }"
)
ACCOUNT_METHODS = ACCOUNT_METHODS.replace("@M", METHOD)
NODE = "query($id: ID!) { node(id: $id) { ... on PayoutMethod { " + METHOD + " } } }"
NOTES = (
    "query($id: ID!) { node(id: $id) { ... on Account { notifications(first: 50) {"
    " edges { node { kind title body } } } } } }"
)
WALLET = "{ viewer { wallet { earnings { minorUnits } inPayout { minorUnits } } } }"


def paypal(email: str) -> dict[str, Any]:
    return {"paypal": {"email": email}}


def iban(number: str, holder: str = "Jane Doe") -> dict[str, Any]:
    return {"bank": {"holderName": holder, "iban": number}}


def us(routing: str, account: str, holder: str = "Jane Doe") -> dict[str, Any]:
    return {"bank": {"holderName": holder, "routingNumber": routing, "accountNumber": account}}


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def add(api: Any, user: User, input: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return await api.mutate("addPayoutMethod", {**input, **extra}, PAYLOAD, token=user.token)


async def added(api: Any, user: User, input: dict[str, Any], **extra: Any) -> str:
    payload = await add(api, user, input, **extra)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["method"]["id"]


async def set_default(api: Any, user: User, method_id: str) -> dict[str, Any]:
    return await api.mutate("setDefaultPayoutMethod", {"methodId": method_id}, PAYLOAD, user.token)


async def remove(api: Any, user: User, method_id: str) -> dict[str, Any]:
    selection = "removedMethodId methods { id isDefault }"
    return await api.mutate("removePayoutMethod", {"methodId": method_id}, selection, user.token)


async def request_payout(api: Any, user: User, method_id: str | None = None) -> dict[str, Any]:
    input = {"amountCents": 10_000, "methodId": method_id, "idempotencyKey": new_key()}
    return await api.mutate("requestPayout", input, "payout { id status }", token=user.token)


async def wallet(api: Any, user: User) -> tuple[int, int]:
    """(available earnings, in payout) in cents."""
    w = (await api.data(WALLET, token=user.token))["viewer"]["wallet"]
    return w["earnings"]["minorUnits"], w["inPayout"]["minorUnits"]


async def listed(api: Any, owner: User, token: str | None = "") -> list[dict] | None:
    """`owner`'s Account.payouts.methods as the owner (or `token`: None is anonymous) sees it;
    None when payouts is null."""
    token = owner.token if token == "" else token
    node = (await api.data(ACCOUNT_METHODS, {"id": owner.id}, token=token))["node"]
    return None if node["payouts"] is None else node["payouts"]["methods"]


async def notes(api: Any, user: User) -> list[tuple[str, str, str]]:
    edges = (await api.data(NOTES, {"id": user.id}, token=user.token))["node"]["notifications"]
    return [(e["node"]["kind"], e["node"]["title"], e["node"]["body"]) for e in edges["edges"]]


async def rows(engine: Any, table: str = "payout_methods") -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        result = await connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1"))
        return [dict(r._mapping) for r in result]


async def defaults_in_order(api: Any, user: User) -> list[tuple[str, bool]]:
    """The listed (id, isDefault): the default first, and the table agrees on the one default."""
    methods = await listed(api, user)
    assert methods is not None
    flags = [(m["id"], m["isDefault"]) for m in methods]
    assert [d for _, d in flags] == [i == 0 for i in range(len(flags))], flags
    active = [r for r in await rows(api.engine) if r["account_id"] == user.pk]
    active = [r for r in active if r["removed_at"] is None]
    pk = factories.decode_pk
    assert sorted(r["id"] for r in active) == sorted(pk(m) for m, _ in flags)
    assert [r["id"] for r in active if r["is_default"]] == [pk(m) for m, d in flags if d]
    return flags


async def assert_nothing_linked(api: Any, user: User) -> None:
    assert await listed(api, user) == []
    assert await rows(api.engine) == []
    assert await notes(api, user) == []


# --- validation -----------------------------------------------------------------------------

LONGEST_EMAIL = "a" * (254 - len("@paypal.example")) + "@paypal.example"
BANK, HOLDER = "BANK_ACCOUNT", "Jane Doe"
# input, (kind, masked, last4, holderName, country), the sealed destination
VALID = [
    (paypal("  Jane.Doe@PayPal.Example \t"), ("PAYPAL", f"j{DOTS}@paypal.example", None, None,
     None), {"email": "jane.doe@paypal.example"}),
    (paypal(LONGEST_EMAIL.upper()), ("PAYPAL", f"a{DOTS}@paypal.example", None, None, None),
     {"email": LONGEST_EMAIL}),
    (iban("de89 3704 0044 0532 0130 00", "  Jane Doe "), (BANK, f"DE {MASK}3000", "3000", HOLDER,
     "DE"), {"iban": DE_IBAN, "holder": HOLDER}),
    (iban(f"  {DE_IBAN}  ", "J"), (BANK, f"DE {MASK}3000", "3000", "J", "DE"),
     {"iban": DE_IBAN, "holder": "J"}),
    (iban("gb82 west 1234 5698 7654 32", "a" * 100), (BANK, f"GB {MASK}5432", "5432", "a" * 100,
     "GB"), {"iban": GB_IBAN, "holder": "a" * 100}),
    (us("011000015", "1234", f"  {'b' * 100} "), (BANK, f"US {MASK}1234", "1234", "b" * 100,
     "US"), {"routing": "011000015", "account": "1234", "holder": "b" * 100}),
    (us("110000000", "12345678901234567"), (BANK, f"US {MASK}4567", "4567", HOLDER, "US"),
     {"routing": "110000000", "account": "12345678901234567", "holder": HOLDER}),
    (us(" 011000015 ", " 00000000000000009 ", "\u00e9" * 100), (BANK, f"US {MASK}0009", "0009",
     "\u00e9" * 100, "US"), {"routing": "011000015", "account": "00000000000000009",
     "holder": "\u00e9" * 100}),
]  # fmt: skip


@pytest.mark.parametrize(("input", "shown", "sealed"), VALID)
async def test_valid_destinations_are_linked_normalised_and_masked(
    api, settings, input, shown, sealed
):
    ann = await sign_up(api, "ann")
    payload = await add(api, ann, input)
    assert payload["userErrors"] == []
    m = payload["method"]
    assert (m["kind"], m["masked"], m["last4"], m["holderName"], m["country"]) == shown
    assert payload["methods"] == [{"id": m["id"], "isDefault": True}] and m["isDefault"]
    [row] = await rows(api.engine)
    assert destinations.unseal(settings.secret_key, row["destination"]) == sealed


EMAIL, IBAN_FIELD = ["input", "paypal", "email"], ["input", "bank", "iban"]
ROUTING, ACCOUNT = ["input", "bank", "routingNumber"], ["input", "bank", "accountNumber"]
HOLDER_FIELD = ["input", "bank", "holderName"]
BAD_EMAILS = [
    "", "   ", "jane", "jane@", "@paypal.example", "jane@paypal", "ja ne@paypal.example",
    "jane@@paypal.example", "a@b@paypal.example", "jane@paypal.", "b" + LONGEST_EMAIL,
]  # fmt: skip
BAD_IBANS = [
    "DE88370400440532013000", "DE89370400440532013001",  # checksum
    iban_with_checksum("DE", "37040044053201300"),  # valid checksum, one digit short (21)
    iban_with_checksum("DE", "3704004405320130001"),  # valid checksum, one digit long (23)
    iban_with_checksum("ZZ", "370400440532013000"),  # no such country
    iban_with_checksum("US", "370400440532013000"),  # a country without IBANs
    "DE89370400440532O13000", "DE89_370400440532013000", "", "   ",
]  # fmt: skip
BAD_US = [  # routing, account, field at fault
    ("011000015", "123", ACCOUNT), ("011000015", "123456789012345678", ACCOUNT),
    ("011000015", "12a4", ACCOUNT), ("011000015", "12 34", ACCOUNT),
    ("011000015", "-1234", ACCOUNT), ("011000015", "\uff11\uff12\uff13\uff14", ACCOUNT),
    ("011000015", "", ACCOUNT), ("011000016", "1234", ROUTING), ("110000001", "1234", ROUTING),
    ("01100001", "1234", ROUTING), ("0110000150", "1234", ROUTING),
    ("01100001a", "1234", ROUTING), ("\uff10\uff11\uff11000015", "1234", ROUTING),
    ("", "1234", ROUTING), ("000000000", "1234", ROUTING), ("990000000", "1234", ROUTING),
]  # fmt: skip
BAD_HOLDERS = ["", "   ", "a" * 101, "\u00e9" * 101]
INVALID = {
    "emails": [(paypal(e), "INVALID_EMAIL", EMAIL) for e in BAD_EMAILS],
    "ibans": [(iban(n), "INVALID_BANK_ACCOUNT", IBAN_FIELD) for n in BAD_IBANS],
    "us": [(us(r, a), "INVALID_BANK_ACCOUNT", f) for r, a, f in BAD_US],
    "holders": [(iban(DE_IBAN, h), "INVALID_INPUT", HOLDER_FIELD) for h in BAD_HOLDERS]
    + [(us("011000015", "1234", h), "INVALID_INPUT", HOLDER_FIELD) for h in BAD_HOLDERS],
    "shape": [
        ({**paypal("jane@paypal.example"), **iban(DE_IBAN)}, "INVALID_INPUT", ["input", "bank"]),
        ({}, "INVALID_INPUT", ["input", "paypal"]),
        ({"bank": {"holderName": "J", "iban": DE_IBAN, "routingNumber": "011000015",
                   "accountNumber": "1234"}}, "INVALID_INPUT", IBAN_FIELD),
        ({"bank": {"holderName": "J", "iban": DE_IBAN, "accountNumber": "1234"}}, "INVALID_INPUT",
         IBAN_FIELD),
        ({"bank": {"holderName": "J"}}, "INVALID_INPUT", IBAN_FIELD),
        ({"bank": {"holderName": "J", "routingNumber": "011000015"}}, "INVALID_INPUT", ACCOUNT),
        ({"bank": {"holderName": "J", "accountNumber": "1234"}}, "INVALID_INPUT", ROUTING),
    ],
}  # fmt: skip


@pytest.mark.parametrize("cases", INVALID.values(), ids=INVALID.keys())
async def test_invalid_destinations_are_refused_and_nothing_is_linked(api, cases):
    ann = await sign_up(api, "ann")
    for input, code, field in cases:
        payload = await add(api, ann, input, makeDefault=True)
        assert errors(payload) == [(code, field)], input
        assert payload["method"] is None and payload["methods"] is None
    await assert_nothing_linked(api, ann)


async def test_a_paypal_email_with_a_long_domain_is_linked_without_a_server_error(api):
    # The masked form once overflowed its column on PostgreSQL (SQLite ignores lengths).
    ann = await sign_up(api, "ann")
    query = "mutation($i: AddPayoutMethodInput!) { addPayoutMethod(input: $i) { %s } }"
    selection = "method { masked } userErrors { code }"
    email = "jane@mail." + "x" * 60 + ".example"  # a masked form of 78 characters
    body = await api.execute(query.replace("%s", selection), {"i": paypal(email)}, ann.token)
    assert "errors" not in body, body["errors"]
    payload = body["data"]["addPayoutMethod"]
    assert payload["userErrors"] == [] and payload["method"]["masked"].startswith(f"j{DOTS}@")
    assert [r["masked"] for r in await rows(api.engine)] == [payload["method"]["masked"]]


# --- masking ----------------------------------------------------------------------------------


async def test_the_full_destination_is_never_shown_and_is_stored_encrypted(api, settings):
    ann = await sign_up(api, "ann")
    staff = await make_staff(api, api.engine)
    await credit_earnings(api.engine, ann, 40_000, source="TIPS")
    email, account = "secret.payee@paypal.example", "98765432109876543"
    secrets = [email, "secret.payee", DE_IBAN, DE_IBAN[4:], "0532013000", account, "109876543"]
    texts: list[str] = []

    async def call(query: str, variables: dict[str, Any], user: User = ann) -> Any:
        response = await api.post(query, variables, token=user.token)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        texts.append(response.text)
        return response.json()["data"]

    def mutation(name: str, selection: str) -> str:
        kind = name[0].upper() + name[1:]
        return f"mutation($i: {kind}Input!) {{ {name}(input: $i) {{ {selection} }} }}"

    ids = []
    for input in (paypal("Secret.Payee@PayPal.example"), iban("de89 3704 0044 0532 0130 00"),
                  us("011000015", account)):  # fmt: skip
        result = await call(mutation("addPayoutMethod", PAYLOAD), {"i": input})
        ids.append(result["addPayoutMethod"]["method"]["id"])
    shown = (await call(ACCOUNT_METHODS, {"id": ann.id}))["node"]["payouts"]["methods"]
    masks = [f"s{DOTS}@paypal.example", f"US {MASK}6543", f"DE {MASK}3000"]
    assert [(m["masked"], m["last4"]) for m in shown] == [
        *zip(masks, [None, "6543", "3000"], strict=True)
    ]
    await call(ACCOUNT_METHODS, {"id": ann.id}, staff)
    request = mutation("requestPayout", f"payout {{ method {{ {METHOD} }} }} userErrors {{ code }}")
    for method_id in ids:
        assert (await call(NODE, {"id": method_id}))["node"]["id"] == method_id
        await call(NODE, {"id": method_id}, staff)
        input = {"amountCents": 10_000, "methodId": method_id, "idempotencyKey": new_key()}
        assert (await call(request, {"i": input}))["requestPayout"]["userErrors"] == []
    await call("mutation { runPayouts(input: {}) { paid } }", {}, staff)
    history = "history(first: 10) { edges { node { method { @M } } } }".replace("@M", METHOD)
    await call(
        "{ viewer { payouts { forecast { method { masked } } @H } } }".replace("@H", history), {}
    )
    await call("{ payouts(first: 10) { edges { node { method { masked } } } } }", {}, staff)
    await call(mutation("setDefaultPayoutMethod", PAYLOAD), {"i": {"methodId": ids[2]}})
    removal = mutation("removePayoutMethod", f"methods {{ {METHOD} }} userErrors {{ code }}")
    for method_id in ids:
        assert (await call(removal, {"i": {"methodId": method_id}}))["removePayoutMethod"][
            "userErrors"] == []  # fmt: skip
    await call(NOTES, {"id": ann.id})
    kinds = [kind for kind, _, _ in await notes(api, ann)]
    assert kinds.count("PAYOUT_PAID") == 3 and kinds.count("PAYOUT_METHOD_REMOVED") == 3

    for text in texts:
        assert [s for s in secrets if s in text.lower() or s.upper() in text] == []
    # No table holds a destination in clear; the sealed column opens to the full one.
    for table in Base.metadata.sorted_tables:
        for row in map(str, await rows(api.engine, table.name)):
            assert [s for s in secrets if s in row.lower() or s.upper() in row] == []
    sealed = [r["destination"] for r in await rows(api.engine)]
    assert [destinations.unseal(settings.secret_key, token) for token in sealed] == [
        {"email": email},
        {"iban": DE_IBAN, "holder": HOLDER},
        {"routing": "011000015", "account": account, "holder": HOLDER},
    ]


# --- the default -----------------------------------------------------------------------------


async def test_the_first_method_is_the_default_a_later_one_only_with_make_default(api):
    ann = await sign_up(api, "ann")
    a = await added(api, ann, paypal("a@paypal.example"), makeDefault=True)
    assert await defaults_in_order(api, ann) == [(a, True)]
    b_payload = await add(api, ann, iban(DE_IBAN), makeDefault=False)
    b = b_payload["method"]["id"]
    assert b_payload["method"]["isDefault"] is False
    assert b_payload["methods"] == [{"id": a, "isDefault": True}, {"id": b, "isDefault": False}]
    c = await added(api, ann, us("011000015", "1234"), makeDefault=True)
    assert await defaults_in_order(api, ann) == [(c, True), (b, False), (a, False)]
    for method_id, is_default in ((a, False), (b, False), (c, True)):
        node = (await api.data(NODE, {"id": method_id}, token=ann.token))["node"]
        assert node["isDefault"] is is_default
    # Adding with makeDefault says so in its one notification.
    assert [k for k, _, _ in await notes(api, ann)] == ["PAYOUT_METHOD_ADDED"] * 3


async def test_set_default_moves_the_default(api):
    ann = await sign_up(api, "ann")
    a = await added(api, ann, paypal("a@paypal.example"))
    b = await added(api, ann, iban(DE_IBAN))
    c = await added(api, ann, us("011000015", "1234"))
    payload = await set_default(api, ann, b)
    assert payload["userErrors"] == []
    assert (payload["method"]["id"], payload["method"]["isDefault"]) == (b, True)
    assert payload["methods"] == [{"id": b, "isDefault": True}, {"id": c, "isDefault": False},
                                  {"id": a, "isDefault": False}]  # fmt: skip
    assert await defaults_in_order(api, ann) == [(b, True), (c, False), (a, False)]
    before = await notes(api, ann)
    again = await set_default(api, ann, b)  # already the default: no change, no notification
    assert again["userErrors"] == [] and again["method"]["isDefault"] is True
    assert await notes(api, ann) == before
    assert await defaults_in_order(api, ann) == [(b, True), (c, False), (a, False)]


async def test_removing_the_default_makes_the_newest_remaining_method_the_default(api):
    ann = await sign_up(api, "ann")
    a = await added(api, ann, paypal("a@paypal.example"))
    b = await added(api, ann, paypal("b@paypal.example"))
    c = await added(api, ann, paypal("c@paypal.example"))
    d = await added(api, ann, paypal("d@paypal.example"))
    assert (await set_default(api, ann, c))["userErrors"] == []
    payload = await remove(api, ann, b)  # not the default: the default stays
    assert payload == {
        "removedMethodId": b,
        "methods": [{"id": c, "isDefault": True}, {"id": d, "isDefault": False},
                    {"id": a, "isDefault": False}],
        "userErrors": [],
    }  # fmt: skip
    removed = await remove(api, ann, c)  # the default: the newest (d), not the oldest (a)
    assert removed["methods"] == [{"id": d, "isDefault": True}, {"id": a, "isDefault": False}]
    assert await defaults_in_order(api, ann) == [(d, True), (a, False)]
    assert (await remove(api, ann, d))["methods"] == [{"id": a, "isDefault": True}]
    assert (await remove(api, ann, a))["methods"] == []
    assert await defaults_in_order(api, ann) == []
    await credit_earnings(api.engine, ann, 10_000)
    assert errors(await request_payout(api, ann)) == [("PAYOUT_METHOD_REQUIRED", None)]
    assert await rows(api.engine, "payouts") == []
    assert await wallet(api, ann) == (10_000, 0)
    # The next method linked is the default again.
    e = await added(api, ann, paypal("e@paypal.example"))
    assert await defaults_in_order(api, ann) == [(e, True)]


async def test_a_removed_method_is_gone_for_every_change_but_still_readable(api):
    ann = await sign_up(api, "ann")
    await credit_earnings(api.engine, ann, 20_000)
    a = await added(api, ann, paypal("a@paypal.example"))
    b = await added(api, ann, iban(DE_IBAN))
    assert (await remove(api, ann, b))["userErrors"] == []
    node = (await api.data(NODE, {"id": b}, token=ann.token))["node"]
    assert (node["masked"], node["isDefault"]) == (f"DE {MASK}3000", False)
    not_found = [("NOT_FOUND", ["input", "methodId"])]
    assert errors(await set_default(api, ann, b)) == not_found
    assert errors(await remove(api, ann, b)) == not_found
    assert errors(await request_payout(api, ann, b)) == not_found
    assert await rows(api.engine, "payouts") == []
    assert await defaults_in_order(api, ann) == [(a, True)]


# --- duplicates and the limit ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "again"),
    [
        (paypal("Jane.Doe@PayPal.example"), paypal("  jane.doe@paypal.EXAMPLE ")),
        (iban(DE_IBAN), iban("de89 3704 0044 0532 0130 00", holder="Someone Else")),
        (us("011000015", "1234"), us(" 011000015", "1234 ", holder="J")),
    ],
)
async def test_the_same_destination_twice_is_a_duplicate_until_removed(api, first, again):
    ann = await sign_up(api, "ann")
    original = await added(api, ann, first)
    before = (await notes(api, ann), await rows(api.engine))
    payload = await add(api, ann, again, makeDefault=True)
    assert errors(payload) == [("DUPLICATE_PAYOUT_METHOD", None)]
    assert (await notes(api, ann), await rows(api.engine)) == before
    assert (await remove(api, ann, original))["userErrors"] == []
    readded = await added(api, ann, again)
    assert readded != original
    assert await defaults_in_order(api, ann) == [(readded, True)]


async def test_ten_methods_are_allowed_an_eleventh_is_refused_until_one_is_removed(api):
    ann = await sign_up(api, "ann")
    ids = [await added(api, ann, paypal(f"p{n}@paypal.example")) for n in range(8)]
    ids.append(await added(api, ann, iban(DE_IBAN)))
    ids.append(await added(api, ann, us("011000015", "1234")))  # the 10th
    assert len(await defaults_in_order(api, ann)) == 10
    before = (await notes(api, ann), await rows(api.engine))
    for input in (paypal("p10@paypal.example"), iban(GB_IBAN), paypal("p0@paypal.example")):
        payload = await add(api, ann, input, makeDefault=True)
        assert errors(payload) == [("TOO_MANY_PAYOUT_METHODS", None)]
    assert (await notes(api, ann), await rows(api.engine)) == before
    assert (await remove(api, ann, ids[3]))["userErrors"] == []
    eleventh = await added(api, ann, paypal("p10@paypal.example"))
    assert len(await defaults_in_order(api, ann)) == 10
    assert errors(await add(api, ann, iban(GB_IBAN))) == [("TOO_MANY_PAYOUT_METHODS", None)]
    assert eleventh not in ids


# --- in use ------------------------------------------------------------------------------------


async def test_a_method_cannot_be_removed_while_a_payout_is_on_its_way_to_it(api):
    ann = await sign_up(api, "ann")
    staff = await make_staff(api, api.engine)
    await credit_earnings(api.engine, ann, 35_000)
    ok = await added(api, ann, paypal("ann@paypal.example"))
    retrying = await added(api, ann, paypal("payout-unavailable@paypal.example"))
    failing = await added(api, ann, paypal("payout-fail@paypal.example"))
    for method_id in (ok, retrying, failing):
        payload = await request_payout(api, ann, method_id)
        assert payload["userErrors"] == [] and payload["payout"]["status"] == "REQUESTED"
    in_use = [("PAYOUT_METHOD_IN_USE", ["input", "methodId"])]
    before = (await wallet(api, ann), await rows(api.engine), await notes(api, ann))
    assert before[0] == (5_000, 30_000)
    for method_id in (ok, retrying, failing):
        assert errors(await remove(api, ann, method_id)) == in_use
    assert (await wallet(api, ann), await rows(api.engine), await notes(api, ann)) == before

    run = await api.mutate("runPayouts", {}, "paid failed retrying", token=staff.token)
    assert run == {"paid": 1, "failed": 1, "retrying": 1, "userErrors": []}
    statuses = {r["method_id"]: r["status"] for r in await rows(api.engine, "payouts")}
    pk = factories.decode_pk
    assert statuses == {pk(ok): "PAID", pk(retrying): "PROCESSING", pk(failing): "FAILED"}
    assert await wallet(api, ann) == (15_000, 10_000)
    assert errors(await remove(api, ann, retrying)) == in_use  # PROCESSING
    assert (await remove(api, ann, ok))["userErrors"] == []  # PAID
    assert (await remove(api, ann, failing))["userErrors"] == []  # FAILED
    assert await defaults_in_order(api, ann) == [(retrying, True)]
    # The payouts still show where they went.
    history = await api.data(
        "{ viewer { payouts { history(first: 5) { edges { node { status method { id masked"
        " isDefault } } } } } } }",
        token=ann.token,
    )
    shown = {e["node"]["status"]: e["node"]["method"] for e in history["viewer"]["payouts"][
        "history"]["edges"]}  # fmt: skip
    assert shown["PAID"] == {"id": ok, "masked": f"a{DOTS}@paypal.example", "isDefault": False}
    assert shown["FAILED"]["id"] == failing and shown["FAILED"]["isDefault"] is False


# --- permissions -------------------------------------------------------------------------------


async def test_nobody_else_sees_changes_or_removes_someones_methods(api):
    ann, bob = await sign_up(api, "ann"), await sign_up(api, "bob")
    await credit_earnings(api.engine, bob, 20_000)
    a = await added(api, ann, paypal("ann@paypal.example"))
    b = await added(api, ann, iban(DE_IBAN))
    own = await added(api, bob, paypal("bob@paypal.example"))
    before = (await rows(api.engine), await notes(api, ann), await notes(api, bob))
    not_found = [("NOT_FOUND", ["input", "methodId"])]
    assert errors(await set_default(api, bob, b)) == not_found
    assert errors(await remove(api, bob, a)) == not_found
    assert errors(await remove(api, bob, b)) == not_found
    assert errors(await request_payout(api, bob, a)) == not_found
    assert await wallet(api, bob) == (20_000, 0)
    assert await rows(api.engine, "payouts") == []
    assert (await rows(api.engine), await notes(api, ann), await notes(api, bob)) == before
    assert await defaults_in_order(api, ann) == [(a, True), (b, False)]
    assert await defaults_in_order(api, bob) == [(own, True)]

    assert await listed(api, ann, bob.token) is None
    assert await listed(api, ann, None) is None  # anonymous
    for method_id in (a, b):
        assert (await api.data(NODE, {"id": method_id}, token=bob.token))["node"] is None
        assert (await api.data(NODE, {"id": method_id}))["node"] is None


async def test_staff_see_any_accounts_methods_but_change_only_their_own(api):
    ann = await sign_up(api, "ann")
    staff = await make_staff(api, api.engine)
    a = await added(api, ann, paypal("ann@paypal.example"))
    b = await added(api, ann, iban(DE_IBAN))
    assert await listed(api, ann, staff.token) == await listed(api, ann)
    assert [m["id"] for m in await listed(api, ann, staff.token)] == [a, b]
    node = (await api.data(NODE, {"id": b}, token=staff.token))["node"]
    assert (node["masked"], node["last4"]) == (f"DE {MASK}3000", "3000")
    assert errors(await set_default(api, staff, b)) == [("NOT_FOUND", ["input", "methodId"])]
    assert errors(await remove(api, staff, a)) == [("NOT_FOUND", ["input", "methodId"])]
    assert await defaults_in_order(api, ann) == [(a, True), (b, False)]
    assert await listed(api, staff) == []


@pytest.mark.parametrize(
    "mutation", ["addPayoutMethod", "setDefaultPayoutMethod", "removePayoutMethod"]
)
async def test_anonymous_changes_are_unauthenticated(api, mutation):
    ann = await sign_up(api, "ann")
    await added(api, ann, paypal("ann@paypal.example"))
    b = await added(api, ann, iban(DE_IBAN))
    input = paypal("new@paypal.example") if mutation == "addPayoutMethod" else {"methodId": b}
    before = await rows(api.engine)
    type_name = mutation[0].upper() + mutation[1:] + "Input"
    for token in (None, "not-a-session-token"):
        error = await api.error(
            f"mutation($i: {type_name}!) {{ {mutation}(input: $i) {{ userErrors {{ code }} }} }}",
            {"i": input},
            token=token,
        )
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert await rows(api.engine) == before
    assert len(await notes(api, ann)) == 2


# --- notifications ----------------------------------------------------------------------------


async def test_each_change_notifies_the_creator_with_only_the_masked_destination(api):
    ann = await sign_up(api, "ann")
    a = await added(api, ann, paypal("Ann.Pays@PayPal.example"))
    b = await added(api, ann, iban(DE_IBAN))
    c = await added(api, ann, us("011000015", "55501234"), makeDefault=True)
    # Refusals notify nothing.
    await add(api, ann, paypal("ann.pays@paypal.example"))
    await add(api, ann, iban("DE00370400440532013000"))
    await set_default(api, ann, c)
    assert (await set_default(api, ann, b))["userErrors"] == []
    assert (await remove(api, ann, b))["userErrors"] == []  # the default: c is the newest
    assert (await remove(api, ann, a))["userErrors"] == []
    assert (await remove(api, ann, c))["userErrors"] == []
    paypal_label, de_label, us_label = f"PayPal a{DOTS}@paypal.example", f"Bank DE {MASK}3000", \
        f"Bank US {MASK}1234"  # fmt: skip
    added_t, removed_t, default_t = "Payout method added", "Payout method removed", \
        "Default payout method changed"  # fmt: skip
    assert await notes(api, ann) == [
        ("PAYOUT_METHOD_REMOVED", removed_t, f"{us_label} was removed from your payout methods."),
        ("PAYOUT_METHOD_REMOVED", removed_t,
         f"{paypal_label} was removed from your payout methods."),
        ("PAYOUT_METHOD_DEFAULT_CHANGED", default_t, f"Payouts now go to {us_label}."),
        ("PAYOUT_METHOD_REMOVED", removed_t, f"{de_label} was removed from your payout methods."),
        ("PAYOUT_METHOD_DEFAULT_CHANGED", default_t, f"Payouts now go to {de_label}."),
        ("PAYOUT_METHOD_ADDED", added_t,
         f"{us_label} was added to your payout methods and is now your default."),
        ("PAYOUT_METHOD_ADDED", added_t, f"{de_label} was added to your payout methods."),
        ("PAYOUT_METHOD_ADDED", added_t,
         f"{paypal_label} was added to your payout methods and is now your default."),
    ]  # fmt: skip


# --- bad IDs -----------------------------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD_IDS = [
    "", " ", "garbage!", "%%%", "\u00e9", "a" * 5000, _b64("PayoutMethod"), _b64("PayoutMethod:"),
    _b64("PayoutMethod:0"), _b64("PayoutMethod:-1"), _b64("PayoutMethod:1.5"),
    _b64("PayoutMethod:2147483648"), _b64("PayoutMethod:99999999999999999999"),
    _b64("PayoutMethod:\u00b9"), _b64(":1"), _b64("Payout:1"), _b64("Account:1"),
    base64.urlsafe_b64encode(b"\xff\xfe:1").decode(),
]  # fmt: skip


@pytest.mark.parametrize("call", [set_default, remove, request_payout], ids=lambda f: f.__name__)
async def test_bad_method_ids_are_clean_user_errors(api, call):
    ann = await sign_up(api, "ann")
    await credit_earnings(api.engine, ann, 10_000)
    a = await added(api, ann, paypal("ann@paypal.example"))
    before = (await rows(api.engine), await notes(api, ann))
    for bad in BAD_IDS:
        assert errors(await call(api, ann, bad)) == [("INVALID_ID", ["input", "methodId"])], bad
    for missing in (encode_id("PayoutMethod", 2_147_483_647), encode_id("PayoutMethod", 9999)):
        assert errors(await call(api, ann, missing)) == [("NOT_FOUND", ["input", "methodId"])]
    assert (await rows(api.engine), await notes(api, ann)) == before
    assert await defaults_in_order(api, ann) == [(a, True)]
    assert await rows(api.engine, "payouts") == []
    assert await wallet(api, ann) == (10_000, 0)


# --- at once -----------------------------------------------------------------------------------


async def test_concurrent_changes_keep_exactly_one_default(api):
    ann = await sign_up(api, "ann")
    first = await asyncio.gather(*(add(api, ann, paypal(f"p{n}@paypal.example")) for n in range(5)))
    assert all(p["userErrors"] == [] for p in first)
    assert sum(p["method"]["isDefault"] for p in first) == 1
    ids = [m for m, _ in await defaults_in_order(api, ann)]
    same = await asyncio.gather(*(add(api, ann, iban(DE_IBAN)) for _ in range(4)))
    assert sorted(len(p["userErrors"]) for p in same) == [0, 1, 1, 1]
    assert {e for p in same for e in errors(p)} == {("DUPLICATE_PAYOUT_METHOD", None)}
    ids.append(next(p["method"]["id"] for p in same if not p["userErrors"]))
    await asyncio.gather(
        *(set_default(api, ann, m) for m in ids), *(add(api, ann, us("011000015", "1234"),
          makeDefault=True) for _ in range(2)), remove(api, ann, ids[0]),
    )  # fmt: skip
    flags = await defaults_in_order(api, ann)
    assert len(flags) == 6
    more = await asyncio.gather(*(add(api, ann, paypal(f"m{n}@paypal.example")) for n in range(6)))
    assert sorted(code for p in more for code, _ in errors(p)) == ["TOO_MANY_PAYOUT_METHODS"] * 2
    flags = await defaults_in_order(api, ann)
    assert len(flags) == 10
    await asyncio.gather(*(remove(api, ann, m) for m, _ in flags[:8]))
    assert [d for _, d in await defaults_in_order(api, ann)] == [True, False]
