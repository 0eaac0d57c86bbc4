"""Accounts through the HTTP API: sign-up, log-in, sessions, profiles, privacy, account type
switching and staff actions. The clock starts at 2026-06-15T12:00Z (see conftest)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from reelpay.graphql.relay import encode_id
from reelpay.settings import Rules
from tests.conftest import START
from tests.factories import add_views, make_staff, publish, sign_up

RULES = Rules()
PRO_FEATURES = ["PINNED_VIDEOS", "ADVANCED_ANALYTICS", "WEBSITE_AND_CONTACT_EMAIL"]
PRIVATE_FIELDS = "email birthDate standing role viewsInLast30Days publicPostsInLast30Days"
HIDDEN = dict.fromkeys(PRIVATE_FIELDS.split())
PROFILE_FIELDS = (
    "handle displayName bio avatarUrl country visibility accountType websiteUrl contactEmail"
)
SWITCH_CHANGES = (
    "changes { fromType toType featuresLost featuresGained clearedFields pinnedVideos { id } }"
)

# --- helpers -------------------------------------------------------------------------------


def sign_up_input(**overrides: Any) -> dict[str, Any]:
    """A valid sign-up form for `newbie`, with some fields replaced."""
    return {
        "email": "newbie@example.com",
        "password": "correct horse battery",
        "handle": "newbie",
        "displayName": "Newbie",
        "birthDate": "1995-05-05",
        "country": "US",
        **overrides,
    }


async def sign_up_raw(api, **overrides: Any) -> dict[str, Any]:
    """The `signUp` payload for `sign_up_input(**overrides)`."""
    return await api.mutate(
        "signUp", sign_up_input(**overrides), "token account { handle country email }"
    )


def problems(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    """(code, field) of each user error, in order."""
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def viewer(api, token: str | None, selection: str = "handle") -> dict[str, Any] | None:
    return (await api.data(f"{{ viewer {{ {selection} }} }}", token=token))["viewer"]


async def unauthenticated(
    api, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    """The single top-level error of a request that must be UNAUTHENTICATED."""
    error = await api.error(query, variables, token=token)
    assert error["extensions"]["code"] == "UNAUTHENTICATED", error
    return error


async def account(
    api, handle: str, selection: str = "handle", token: str | None = None
) -> dict[str, Any] | None:
    query = f"query($h: String!) {{ account(handle: $h) {{ {selection} }} }}"
    return (await api.data(query, {"h": handle}, token=token))["account"]


async def account_count(api) -> int:
    return (await api.data("{ accounts { totalCount } }"))["accounts"]["totalCount"]


async def log_in(api, email: str, password: str = "correct horse battery") -> dict[str, Any]:
    return await api.mutate(
        "logIn", {"email": email, "password": password}, "token account { handle }"
    )


async def assert_not_created(api, email: str, handle: str, accounts_before: int) -> None:
    """A refused sign-up left nothing behind: no account, no login, same count."""
    assert await account_count(api) == accounts_before
    assert await account(api, handle) is None
    assert problems(await log_in(api, email)) == [("INVALID_CREDENTIALS", None)]


async def log_out(api, token: str | None, everywhere: bool = False) -> dict[str, Any]:
    return await api.mutate("logOut", {"everywhere": everywhere}, "revokedSessions", token=token)


async def update_profile(api, token: str, **changes: Any) -> dict[str, Any]:
    return await api.mutate(
        "updateProfile", changes, f"account {{ {PROFILE_FIELDS} }}", token=token
    )


async def profile(api, token: str) -> dict[str, Any]:
    result = await viewer(api, token, PROFILE_FIELDS)
    assert result is not None
    return result


async def switch(api, token: str, to: str) -> dict[str, Any]:
    return await api.mutate(
        "switchAccountType",
        {"accountType": to},
        f"account {{ accountType websiteUrl contactEmail pinnedVideos {{ id }} }} {SWITCH_CHANGES}",
        token=token,
    )


async def go_business(api, token: str) -> None:
    assert (await switch(api, token, "BUSINESS"))["userErrors"] == []


async def preview(api, token: str | None, to: str) -> dict[str, Any]:
    query = (
        "query($to: AccountType!) { accountTypeSwitchPreview(to: $to) { fromType toType "
        "featuresLost featuresGained clearedFields pinnedVideos { id } } }"
    )
    return (await api.data(query, {"to": to}, token=token))["accountTypeSwitchPreview"]


async def pin(api, token: str, video_ids: list[str]) -> None:
    payload = await api.mutate(
        "setPinnedVideos", {"videoIds": video_ids}, "account { id }", token=token
    )
    assert payload["userErrors"] == [], payload["userErrors"]


def ids(videos: list[dict[str, str]]) -> list[str]:
    return [v["id"] for v in videos]


async def set_standing(api, token: str | None, account_id: str, standing: str) -> dict[str, Any]:
    return await api.mutate(
        "setAccountStanding",
        {"accountId": account_id, "standing": standing},
        "account { handle standing }",
        token=token,
    )


async def set_political(api, token: str | None, account_id: str, value: bool) -> dict[str, Any]:
    return await api.mutate(
        "setAccountPolitical",
        {"accountId": account_id, "isPolitical": value},
        "account { handle isPolitical }",
        token=token,
    )


SET_STANDING = (
    "mutation($input: SetAccountStandingInput!) { setAccountStanding(input: $input) "
    "{ account { handle } userErrors { code } } }"
)
SET_POLITICAL = (
    "mutation($input: SetAccountPoliticalInput!) { setAccountPolitical(input: "
    "$input) { account { handle } userErrors { code } } }"
)


# --- signUp --------------------------------------------------------------------------------


async def test_sign_up_creates_a_personal_account_and_logs_it_in(api):
    payload = await api.mutate("signUp", sign_up_input(), "token account { id handle displayName }")
    assert payload["userErrors"] == []
    assert payload["account"]["handle"] == "newbie"
    me = await viewer(
        api,
        payload["token"],
        "id handle displayName bio avatarUrl country visibility accountType "
        "isPolitical createdAt websiteUrl contactEmail followerCount "
        f"followingCount {PRIVATE_FIELDS}",
    )
    assert me == {
        "id": payload["account"]["id"],
        "handle": "newbie",
        "displayName": "Newbie",
        "bio": "",
        "avatarUrl": None,
        "country": "US",
        "visibility": "PUBLIC",
        "accountType": "PERSONAL",
        "isPolitical": False,
        "createdAt": "2026-06-15T12:00:00+00:00",
        "websiteUrl": None,
        "contactEmail": None,
        "followerCount": 0,
        "followingCount": 0,
        "email": "newbie@example.com",
        "birthDate": "1995-05-05",
        "standing": "GOOD",
        "role": "USER",
        "viewsInLast30Days": 0,
        "publicPostsInLast30Days": 0,
    }


INVALID_SIGN_UPS = [
    pytest.param({"email": "not-an-email"}, "INVALID_EMAIL", "email", id="email-no-at"),
    pytest.param({"email": "a@b"}, "INVALID_EMAIL", "email", id="email-no-dot"),
    pytest.param({"email": "a b@example.com"}, "INVALID_EMAIL", "email", id="email-space"),
    pytest.param({"email": ""}, "INVALID_EMAIL", "email", id="email-empty"),
    pytest.param({"password": "x" * 7}, "WEAK_PASSWORD", "password", id="password-7"),
    pytest.param({"password": "x" * 129}, "WEAK_PASSWORD", "password", id="password-129"),
    pytest.param({"handle": "a"}, "INVALID_HANDLE", "handle", id="handle-1"),
    pytest.param({"handle": "a" * 25}, "INVALID_HANDLE", "handle", id="handle-25"),
    pytest.param({"handle": "new-bie"}, "INVALID_HANDLE", "handle", id="handle-dash"),
    pytest.param({"handle": "new bie"}, "INVALID_HANDLE", "handle", id="handle-space"),
    pytest.param({"handle": "néwbie"}, "INVALID_HANDLE", "handle", id="handle-accent"),
    pytest.param({"handle": ".newbie"}, "INVALID_HANDLE", "handle", id="handle-leading-dot"),
    pytest.param({"handle": "newbie."}, "INVALID_HANDLE", "handle", id="handle-trailing-dot"),
    pytest.param({"handle": "new..bie"}, "INVALID_HANDLE", "handle", id="handle-double-dot"),
    pytest.param({"displayName": ""}, "INVALID_INPUT", "displayName", id="display-name-empty"),
    pytest.param({"displayName": "   "}, "INVALID_INPUT", "displayName", id="display-name-blank"),
    pytest.param({"displayName": "x" * 51}, "INVALID_INPUT", "displayName", id="display-name-51"),
    pytest.param(
        {"birthDate": "2026-06-16"}, "INVALID_BIRTH_DATE", "birthDate", id="born-tomorrow"
    ),
    # 13th birthday tomorrow: 12 years old today.
    pytest.param({"birthDate": "2013-06-16"}, "TOO_YOUNG", "birthDate", id="age-12"),
    pytest.param({"birthDate": "2026-06-15"}, "TOO_YOUNG", "birthDate", id="born-today"),
    pytest.param({"country": "XX"}, "INVALID_COUNTRY", "country", id="country-XX"),
    pytest.param({"country": "usa"}, "INVALID_COUNTRY", "country", id="country-usa"),
    pytest.param({"country": ""}, "INVALID_COUNTRY", "country", id="country-empty"),
]


@pytest.mark.parametrize(("overrides", "code", "field"), INVALID_SIGN_UPS)
async def test_sign_up_rejects_an_invalid_field_and_creates_nothing(api, overrides, code, field):
    await sign_up(api, "existing")
    before = await account_count(api)

    payload = await sign_up_raw(api, **overrides)

    assert problems(payload) == [(code, ["input", field])]
    assert payload["token"] is None and payload["account"] is None
    assert payload["userErrors"][0]["message"]
    form = sign_up_input(**overrides)
    await assert_not_created(api, form["email"] or "newbie@example.com", "newbie", before)


VALID_SIGN_UPS = [
    pytest.param({"password": "x" * 8}, "handle", "newbie", id="password-8"),
    pytest.param({"password": "x" * 128}, "handle", "newbie", id="password-128"),
    pytest.param({"handle": "ab"}, "handle", "ab", id="handle-2"),
    pytest.param({"handle": "a" * 24}, "handle", "a" * 24, id="handle-24"),
    pytest.param({"handle": "New.Bie_01"}, "handle", "New.Bie_01", id="handle-charset"),
    pytest.param({"handle": "_x_"}, "handle", "_x_", id="handle-underscores"),
    pytest.param({"displayName": "x"}, "displayName", "x", id="display-name-1"),
    pytest.param({"displayName": "x" * 50}, "displayName", "x" * 50, id="display-name-50"),
    # Born 2013-06-15: 13 years old exactly on the clock's date.
    pytest.param({"birthDate": "2013-06-15"}, "birthDate", "2013-06-15", id="age-13-today"),
    pytest.param({"country": "us"}, "country", "US", id="country-lowercase"),
    pytest.param({"country": "KR"}, "country", "KR", id="country-KR"),
    pytest.param(
        {"email": "New.Bie+tag@Example.COM"},
        "email",
        "new.bie+tag@example.com",
        id="email-lowercased",
    ),
]


@pytest.mark.parametrize(("overrides", "stored_field", "stored"), VALID_SIGN_UPS)
async def test_sign_up_accepts_boundary_values(api, overrides, stored_field, stored):
    payload = await api.mutate("signUp", sign_up_input(**overrides), "token")
    assert payload["userErrors"] == []

    me = await viewer(api, payload["token"], "handle displayName birthDate country email")

    assert me is not None and me[stored_field] == stored
    assert await account_count(api) == 1


async def test_sign_up_age_is_computed_from_the_clock(api, clock):
    # 12 today; a day later the same person turns 13 and may sign up.
    assert problems(await sign_up_raw(api, birthDate="2013-06-16")) == [
        ("TOO_YOUNG", ["input", "birthDate"])
    ]
    clock.advance(timedelta(days=1))
    assert (await sign_up_raw(api, birthDate="2013-06-16"))["userErrors"] == []


async def test_sign_up_someone_born_on_29_february_turns_13_on_1_march(api, clock):
    clock.set(datetime(2021, 2, 28, 23, 59, tzinfo=UTC))
    assert problems(await sign_up_raw(api, birthDate="2008-02-29")) == [
        ("TOO_YOUNG", ["input", "birthDate"])
    ]

    clock.set(datetime(2021, 3, 1, 0, 0, tzinfo=UTC))

    assert (await sign_up_raw(api, birthDate="2008-02-29"))["userErrors"] == []


async def test_sign_up_rejects_an_email_longer_than_254_characters(api):
    too_long = "x" * 243 + "@example.com"  # 255 characters
    assert problems(await sign_up_raw(api, email=too_long)) == [
        ("INVALID_EMAIL", ["input", "email"])
    ]
    longest = "x" * 242 + "@example.com"  # 254 characters
    assert (await sign_up_raw(api, email=longest))["userErrors"] == []


async def test_sign_up_email_taken_ignores_case(api):
    await sign_up(api, "alice", email="alice@example.com")

    payload = await sign_up_raw(api, email="ALICE@Example.COM")

    assert problems(payload) == [("EMAIL_TAKEN", ["input", "email"])]
    assert payload["token"] is None
    assert await account_count(api) == 1
    assert await account(api, "newbie") is None


async def test_sign_up_handle_taken_ignores_case(api):
    await sign_up(api, "alice")

    payload = await sign_up_raw(api, handle="ALICE")

    assert problems(payload) == [("HANDLE_TAKEN", ["input", "handle"])]
    assert payload["token"] is None
    await assert_not_created(api, "newbie@example.com", "newbie", 1)
    assert await account(api, "ALICE") == {"handle": "alice"}


async def test_sign_up_reports_every_bad_field_at_once(api):
    payload = await sign_up_raw(
        api,
        email="nope",
        password="short",
        handle=".x.",
        displayName="",
        birthDate="2020-01-01",
        country="ZZZ",
    )

    assert problems(payload) == [
        ("INVALID_EMAIL", ["input", "email"]),
        ("WEAK_PASSWORD", ["input", "password"]),
        ("INVALID_HANDLE", ["input", "handle"]),
        ("INVALID_INPUT", ["input", "displayName"]),
        ("TOO_YOUNG", ["input", "birthDate"]),
        ("INVALID_COUNTRY", ["input", "country"]),
    ]
    assert payload["token"] is None and payload["account"] is None
    assert await account_count(api) == 0


async def test_sign_up_reports_taken_email_and_handle_together(api):
    await sign_up(api, "alice", email="alice@example.com")

    payload = await sign_up_raw(api, email="alice@example.com", handle="Alice", country="XX")

    assert sorted(problems(payload)) == sorted(
        [
            ("EMAIL_TAKEN", ["input", "email"]),
            ("HANDLE_TAKEN", ["input", "handle"]),
            ("INVALID_COUNTRY", ["input", "country"]),
        ]
    )
    assert await account_count(api) == 1


# --- logIn ---------------------------------------------------------------------------------


async def test_log_in_with_the_right_password_returns_a_working_token(api):
    alice = await sign_up(api, "alice")

    payload = await log_in(api, alice.email, alice.password)

    assert payload["userErrors"] == []
    assert payload["account"] == {"handle": "alice"}
    assert await viewer(api, payload["token"], "handle email") == {
        "handle": "alice",
        "email": "alice@example.com",
    }


async def test_log_in_wrong_password_and_unknown_email_fail_alike(api):
    alice = await sign_up(api, "alice")

    wrong_password = await log_in(api, alice.email, "not the password")
    unknown_email = await log_in(api, "nobody@example.com", alice.password)

    for payload in (wrong_password, unknown_email):
        assert payload["token"] is None and payload["account"] is None
        assert payload["userErrors"] == [
            {
                "code": "INVALID_CREDENTIALS",
                "field": None,
                "message": "The email or password is wrong.",
            }
        ]
    assert wrong_password == unknown_email


async def test_log_in_password_is_case_sensitive(api):
    alice = await sign_up(api, "alice")
    payload = await log_in(api, alice.email, alice.password.upper())
    assert problems(payload) == [("INVALID_CREDENTIALS", None)]


async def test_log_in_email_ignores_case(api):
    await sign_up(api, "alice", email="alice@example.com")

    payload = await log_in(api, "ALICE@Example.Com")

    assert payload["userErrors"] == []
    assert await viewer(api, payload["token"]) == {"handle": "alice"}


async def test_each_log_in_yields_a_distinct_working_token(api):
    alice = await sign_up(api, "alice")

    first = (await log_in(api, alice.email))["token"]
    second = (await log_in(api, alice.email))["token"]

    assert len({alice.token, first, second}) == 3
    for token in (alice.token, first, second):
        assert await viewer(api, token) == {"handle": "alice"}


# --- sessions ------------------------------------------------------------------------------


async def test_a_session_lasts_exactly_session_ttl_days(api, clock):
    alice = await sign_up(api, "alice")
    expiry = START + timedelta(days=RULES.session_ttl_days)

    clock.set(expiry - timedelta(seconds=1))
    assert await viewer(api, alice.token) == {"handle": "alice"}

    clock.set(expiry)
    error = await unauthenticated(api, "{ viewer { handle } }", token=alice.token)
    assert error["message"] == "The session token is invalid, expired or revoked."

    clock.set(expiry + timedelta(days=1))
    await unauthenticated(api, "{ viewer { handle } }", token=alice.token)


async def test_a_later_log_in_has_its_own_expiry(api, clock):
    alice = await sign_up(api, "alice")
    clock.advance(timedelta(days=10))
    later = (await log_in(api, alice.email))["token"]

    clock.set(START + timedelta(days=RULES.session_ttl_days))

    await unauthenticated(api, "{ viewer { handle } }", token=alice.token)
    assert await viewer(api, later) == {"handle": "alice"}
    clock.set(START + timedelta(days=10 + RULES.session_ttl_days))
    await unauthenticated(api, "{ viewer { handle } }", token=later)


async def test_log_out_revokes_only_the_current_token(api):
    alice = await sign_up(api, "alice")
    other_session = (await log_in(api, alice.email))["token"]

    payload = await log_out(api, alice.token)

    assert payload == {"revokedSessions": 1, "userErrors": []}
    await unauthenticated(api, "{ viewer { handle } }", token=alice.token)
    assert await viewer(api, other_session) == {"handle": "alice"}


async def test_log_out_twice_with_the_same_token_is_unauthenticated(api):
    alice = await sign_up(api, "alice")
    await log_out(api, alice.token)
    await unauthenticated(
        api, "mutation { logOut(input: {}) { revokedSessions } }", token=alice.token
    )


async def test_log_out_everywhere_revokes_every_live_session_of_the_account(api):
    alice = await sign_up(api, "alice")
    second = (await log_in(api, alice.email))["token"]
    third = (await log_in(api, alice.email))["token"]
    fourth = (await log_in(api, alice.email))["token"]
    await log_out(api, fourth)  # already revoked: not counted again
    bob = await sign_up(api, "bob")

    payload = await log_out(api, second, everywhere=True)

    assert payload == {"revokedSessions": 3, "userErrors": []}
    for token in (alice.token, second, third):
        await unauthenticated(api, "{ viewer { handle } }", token=token)
    assert await viewer(api, bob.token) == {"handle": "bob"}


async def test_log_out_anonymous_is_unauthenticated(api):
    error = await unauthenticated(
        api, "mutation { logOut(input: {everywhere: true}) { revokedSessions } }"
    )
    assert error["path"] == ["logOut"]


@pytest.mark.parametrize("header", ["Basic abc", "Bearer ", "Bearer", "Token rps_abc", "bearer"])
async def test_a_malformed_authorization_header_is_unauthenticated(api, header):
    await sign_up(api, "alice")
    response = await api.post("{ viewer { handle } }", headers={"Authorization": header})
    body = response.json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == "The Authorization header must be `Bearer <token>`."


async def test_an_unknown_token_is_unauthenticated(api):
    await sign_up(api, "alice")
    await unauthenticated(api, "{ viewer { handle } }", token="rps_not-a-real-token")


async def test_no_authorization_header_means_anonymous(api):
    await sign_up(api, "alice")
    body = await api.execute("{ viewer { handle } }")
    assert body == {"data": {"viewer": None}}


async def test_the_bearer_scheme_ignores_case(api):
    alice = await sign_up(api, "alice")
    response = await api.post(
        "{ viewer { handle } }", headers={"Authorization": f"bearer {alice.token}"}
    )
    assert response.json() == {"data": {"viewer": {"handle": "alice"}}}


# --- updateProfile -------------------------------------------------------------------------


ALICE_PROFILE = {
    "handle": "alice",
    "displayName": "Alice",
    "bio": "",
    "avatarUrl": None,
    "country": "US",
    "visibility": "PUBLIC",
    "accountType": "PERSONAL",
    "websiteUrl": None,
    "contactEmail": None,
}


async def test_update_profile_changes_only_the_fields_sent(api):
    alice = await sign_up(api, "alice")
    await update_profile(api, alice.token, bio="Hello", avatarUrl="https://img.example/a.png")

    payload = await update_profile(api, alice.token, displayName="Alice A.")

    expected = {
        **ALICE_PROFILE,
        "displayName": "Alice A.",
        "bio": "Hello",
        "avatarUrl": "https://img.example/a.png",
    }
    assert payload == {"account": expected, "userErrors": []}
    assert await profile(api, alice.token) == expected


async def test_update_profile_sets_every_personal_field(api):
    alice = await sign_up(api, "alice")

    payload = await update_profile(
        api,
        alice.token,
        handle="alice.b",
        displayName="Alice B",
        bio="Bio",
        avatarUrl="http://img.example/b.png",
        country="fr",
        visibility="PRIVATE",
    )

    expected = {
        **ALICE_PROFILE,
        "handle": "alice.b",
        "displayName": "Alice B",
        "bio": "Bio",
        "avatarUrl": "http://img.example/b.png",
        "country": "FR",
        "visibility": "PRIVATE",
    }
    assert payload["userErrors"] == []
    assert await profile(api, alice.token) == expected
    assert await account(api, "alice") is None
    assert await account(api, "alice.b") == {"handle": "alice.b"}


async def test_update_profile_null_clears_the_avatar(api):
    alice = await sign_up(api, "alice")
    await update_profile(api, alice.token, avatarUrl="https://img.example/a.png", bio="Hi")

    payload = await update_profile(api, alice.token, avatarUrl=None)

    assert payload["userErrors"] == []
    assert await profile(api, alice.token) == {**ALICE_PROFILE, "bio": "Hi"}


@pytest.mark.parametrize("field", ["handle", "displayName", "bio", "country", "visibility"])
async def test_update_profile_null_for_a_required_field_is_refused(api, field):
    alice = await sign_up(api, "alice")

    payload = await update_profile(api, alice.token, **{field: None, "avatarUrl": "https://x.io"})

    assert problems(payload) == [("INVALID_INPUT", ["input", field])]
    assert payload["account"] is None
    assert await profile(api, alice.token) == ALICE_PROFILE


async def test_update_profile_handle_taken_ignores_case(api):
    alice = await sign_up(api, "alice")
    await sign_up(api, "bob")

    payload = await update_profile(api, alice.token, handle="BOB", bio="changed")

    assert problems(payload) == [("HANDLE_TAKEN", ["input", "handle"])]
    assert await profile(api, alice.token) == ALICE_PROFILE


async def test_update_profile_may_change_the_case_of_ones_own_handle(api):
    alice = await sign_up(api, "alice")

    payload = await update_profile(api, alice.token, handle="ALICE")

    assert payload["userErrors"] == []
    assert payload["account"]["handle"] == "ALICE"
    assert await account(api, "alice") == {"handle": "ALICE"}


async def test_account_lookup_ignores_case_and_a_leading_at(api):
    await sign_up(api, "Alice.B")
    for handle in ("Alice.B", "alice.b", "@ALICE.B"):
        assert await account(api, handle) == {"handle": "Alice.B"}
    assert await account(api, "alice") is None


async def test_update_profile_reports_every_bad_field_at_once(api):
    alice = await sign_up(api, "alice")

    payload = await update_profile(
        api,
        alice.token,
        handle="-",
        displayName="",
        avatarUrl="ftp://x.io",
        country="XX",
        websiteUrl="https://alice.example",
    )

    assert problems(payload) == [
        ("INVALID_HANDLE", ["input", "handle"]),
        ("INVALID_INPUT", ["input", "displayName"]),
        ("INVALID_URL", ["input", "avatarUrl"]),
        ("INVALID_COUNTRY", ["input", "country"]),
        ("BUSINESS_ACCOUNT_REQUIRED", ["input", "websiteUrl"]),
    ]
    assert await profile(api, alice.token) == ALICE_PROFILE


async def test_a_released_handle_can_be_taken_by_someone_else(api):
    alice = await sign_up(api, "alice")
    await update_profile(api, alice.token, handle="alice2")

    bob = await sign_up(api, "Alice", email="bob@example.com")

    assert await viewer(api, bob.token) == {"handle": "Alice"}


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"handle": "a..b"}, "INVALID_HANDLE", "handle"),
        ({"handle": "x"}, "INVALID_HANDLE", "handle"),
        ({"displayName": "x" * 51}, "INVALID_INPUT", "displayName"),
        ({"bio": "x" * 301}, "INVALID_INPUT", "bio"),
        ({"country": "XX"}, "INVALID_COUNTRY", "country"),
        ({"avatarUrl": "ftp://img.example/a.png"}, "INVALID_URL", "avatarUrl"),
        ({"avatarUrl": "img.example/a.png"}, "INVALID_URL", "avatarUrl"),
        ({"avatarUrl": "javascript:alert(1)"}, "INVALID_URL", "avatarUrl"),
        ({"avatarUrl": "https://"}, "INVALID_URL", "avatarUrl"),
        ({"avatarUrl": "https://img.example/" + "a" * 2048}, "INVALID_URL", "avatarUrl"),
    ],
)
async def test_update_profile_rejects_invalid_values_and_changes_nothing(api, changes, code, field):
    alice = await sign_up(api, "alice")

    also_valid = {} if "bio" in changes else {"bio": "new bio"}

    payload = await update_profile(api, alice.token, **changes, **also_valid)

    assert problems(payload) == [(code, ["input", field])]
    assert await profile(api, alice.token) == ALICE_PROFILE


@pytest.mark.parametrize("url", ["http://img.example/a.png", "https://img.example/a.png?s=1"])
async def test_update_profile_accepts_http_and_https_urls(api, url):
    alice = await sign_up(api, "alice")
    payload = await update_profile(api, alice.token, avatarUrl=url)
    assert payload["userErrors"] == []
    assert (await profile(api, alice.token))["avatarUrl"] == url


async def test_update_profile_accepts_a_300_character_bio(api):
    alice = await sign_up(api, "alice")
    payload = await update_profile(api, alice.token, bio="x" * 300)
    assert payload["userErrors"] == []
    assert (await profile(api, alice.token))["bio"] == "x" * 300


@pytest.mark.parametrize(
    ("field", "value"),
    [("websiteUrl", "https://alice.example"), ("contactEmail", "hi@alice.example")],
)
async def test_pro_fields_need_a_business_account(api, field, value):
    alice = await sign_up(api, "alice")

    payload = await update_profile(api, alice.token, bio="should not stick", **{field: value})

    assert problems(payload) == [("BUSINESS_ACCOUNT_REQUIRED", ["input", field])]
    assert payload["account"] is None
    assert await profile(api, alice.token) == ALICE_PROFILE


async def test_both_pro_fields_on_personal_are_both_reported(api):
    alice = await sign_up(api, "alice")
    payload = await update_profile(
        api, alice.token, websiteUrl="https://alice.example", contactEmail="hi@alice.example"
    )
    assert problems(payload) == [
        ("BUSINESS_ACCOUNT_REQUIRED", ["input", "websiteUrl"]),
        ("BUSINESS_ACCOUNT_REQUIRED", ["input", "contactEmail"]),
    ]


async def test_business_accounts_set_website_and_contact_email_shown_to_everyone(api):
    alice = await sign_up(api, "alice")
    await go_business(api, alice.token)

    payload = await update_profile(
        api, alice.token, websiteUrl="https://alice.example", contactEmail="Hi@Alice.Example"
    )

    assert payload["userErrors"] == []
    assert await account(api, "alice", "websiteUrl contactEmail") == {
        "websiteUrl": "https://alice.example",
        "contactEmail": "hi@alice.example",
    }


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"websiteUrl": "ftp://alice.example"}, "INVALID_URL", "websiteUrl"),
        ({"contactEmail": "not-an-email"}, "INVALID_EMAIL", "contactEmail"),
    ],
)
async def test_business_pro_fields_are_validated(api, changes, code, field):
    alice = await sign_up(api, "alice")
    await go_business(api, alice.token)

    payload = await update_profile(api, alice.token, **changes)

    assert problems(payload) == [(code, ["input", field])]
    assert await account(api, "alice", "websiteUrl contactEmail") == {
        "websiteUrl": None,
        "contactEmail": None,
    }


async def test_business_null_clears_the_website(api):
    alice = await sign_up(api, "alice")
    await go_business(api, alice.token)
    await update_profile(
        api, alice.token, websiteUrl="https://alice.example", contactEmail="hi@alice.example"
    )

    payload = await update_profile(api, alice.token, websiteUrl=None)

    assert payload["userErrors"] == []
    assert await account(api, "alice", "websiteUrl contactEmail") == {
        "websiteUrl": None,
        "contactEmail": "hi@alice.example",
    }


async def test_update_profile_anonymous_is_unauthenticated(api):
    await sign_up(api, "alice")
    await unauthenticated(
        api, 'mutation { updateProfile(input: {bio: "x"}) { account { handle } } }'
    )
    assert await account(api, "alice", "bio") == {"bio": ""}


# --- privacy of fields ---------------------------------------------------------------------


async def _private_fields(api, how: str, target, token: str | None) -> dict[str, Any] | None:
    if how == "account":
        return await account(api, target.handle, PRIVATE_FIELDS, token=token)
    if how == "node":
        query = f"query($id: ID!) {{ node(id: $id) {{ ... on Account {{ {PRIVATE_FIELDS} }} }} }}"
        return (await api.data(query, {"id": target.id}, token=token))["node"]
    if how == "nodes":
        query = (
            f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Account "
            f"{{ {PRIVATE_FIELDS} }} }} }}"
        )
        [node] = (await api.data(query, {"ids": [target.id]}, token=token))["nodes"]
        return node
    query = f"{{ accounts(first: 100) {{ edges {{ node {{ handle {PRIVATE_FIELDS} }} }} }} }}"
    edges = (await api.data(query, token=token))["accounts"]["edges"]
    [node] = [e["node"] for e in edges if e["node"]["handle"] == target.handle]
    del node["handle"]
    return node


@pytest.fixture
async def alice_with_history(api):
    """alice (born 1995-05-05) with one public video viewed 7 times yesterday."""
    alice = await sign_up(api, "alice")
    video = await publish(api, alice)
    await add_views(api.engine, video, {date(2026, 6, 14): 7})
    return alice


ALICE_PRIVATE = {
    "email": "alice@example.com",
    "birthDate": "1995-05-05",
    "standing": "GOOD",
    "role": "USER",
    "viewsInLast30Days": 7,
    "publicPostsInLast30Days": 1,
}
WAYS = ["account", "node", "nodes", "accounts"]


@pytest.mark.parametrize("how", WAYS)
async def test_private_fields_are_null_for_anonymous(api, alice_with_history, how):
    assert await _private_fields(api, how, alice_with_history, None) == HIDDEN


@pytest.mark.parametrize("how", WAYS)
async def test_private_fields_are_null_for_other_users(api, alice_with_history, how):
    bob = await sign_up(api, "bob")
    assert await _private_fields(api, how, alice_with_history, bob.token) == HIDDEN


@pytest.mark.parametrize("how", WAYS)
async def test_private_fields_are_visible_to_the_owner(api, alice_with_history, how):
    alice = alice_with_history
    assert await _private_fields(api, how, alice, alice.token) == ALICE_PRIVATE


@pytest.mark.parametrize("how", WAYS)
async def test_private_fields_are_visible_to_staff(api, alice_with_history, how):
    staff = await make_staff(api, api.engine)
    assert await _private_fields(api, how, alice_with_history, staff.token) == ALICE_PRIVATE


async def test_staff_see_their_own_role(api):
    staff = await make_staff(api, api.engine)
    assert await viewer(api, staff.token, "role") == {"role": "STAFF"}


# --- switchAccountType and its preview -----------------------------------------------------


async def test_switch_to_business_gains_the_pro_features(api):
    alice = await sign_up(api, "alice")

    payload = await switch(api, alice.token, "BUSINESS")

    assert payload == {
        "account": {
            "accountType": "BUSINESS",
            "websiteUrl": None,
            "contactEmail": None,
            "pinnedVideos": [],
        },
        "changes": {
            "fromType": "PERSONAL",
            "toType": "BUSINESS",
            "featuresLost": [],
            "featuresGained": PRO_FEATURES,
            "clearedFields": [],
            "pinnedVideos": [],
        },
        "userErrors": [],
    }
    assert (await profile(api, alice.token))["accountType"] == "BUSINESS"


async def test_switch_to_personal_loses_features_and_erases_pro_fields(api):
    alice = await sign_up(api, "alice")
    await go_business(api, alice.token)
    await update_profile(
        api, alice.token, websiteUrl="https://alice.example", contactEmail="hi@alice.example"
    )

    payload = await switch(api, alice.token, "PERSONAL")

    assert payload == {
        "account": {
            "accountType": "PERSONAL",
            "websiteUrl": None,
            "contactEmail": None,
            "pinnedVideos": [],
        },
        "changes": {
            "fromType": "BUSINESS",
            "toType": "PERSONAL",
            "featuresLost": PRO_FEATURES,
            "featuresGained": [],
            "clearedFields": ["websiteUrl", "contactEmail"],
            "pinnedVideos": [],
        },
        "userErrors": [],
    }


async def test_pro_fields_stay_empty_after_switching_back_to_business(api):
    alice = await sign_up(api, "alice")
    await go_business(api, alice.token)
    await update_profile(
        api, alice.token, websiteUrl="https://alice.example", contactEmail="hi@alice.example"
    )
    await switch(api, alice.token, "PERSONAL")

    payload = await switch(api, alice.token, "BUSINESS")

    assert payload["changes"]["clearedFields"] == []
    assert payload["account"]["websiteUrl"] is None
    assert payload["account"]["contactEmail"] is None
    assert await account(api, "alice", "accountType websiteUrl contactEmail") == {
        "accountType": "BUSINESS",
        "websiteUrl": None,
        "contactEmail": None,
    }


@pytest.mark.parametrize(
    ("fields", "cleared"),
    [
        ({}, []),
        ({"websiteUrl": "https://alice.example"}, ["websiteUrl"]),
        ({"contactEmail": "hi@alice.example"}, ["contactEmail"]),
    ],
)
async def test_cleared_fields_lists_only_fields_that_had_a_value(api, fields, cleared):
    alice = await sign_up(api, "alice")
    await go_business(api, alice.token)
    if fields:
        await update_profile(api, alice.token, **fields)

    assert (await preview(api, alice.token, "PERSONAL"))["clearedFields"] == cleared
    assert (await switch(api, alice.token, "PERSONAL"))["changes"]["clearedFields"] == cleared


async def test_pins_are_hidden_while_personal_and_restored_in_order(api):
    alice = await sign_up(api, "alice")
    v1, v2, v3, _unpinned = [await publish(api, alice, f"Video {n}") for n in range(1, 5)]
    await go_business(api, alice.token)
    await pin(api, alice.token, [v3, v1, v2])

    to_personal = await switch(api, alice.token, "PERSONAL")

    assert ids(to_personal["changes"]["pinnedVideos"]) == [v3, v1, v2]
    assert to_personal["account"]["pinnedVideos"] == []
    assert await account(api, "alice", "pinnedVideos { id }") == {"pinnedVideos": []}
    assert await viewer(api, alice.token, "pinnedVideos { id }") == {"pinnedVideos": []}

    to_business = await switch(api, alice.token, "BUSINESS")

    assert ids(to_business["changes"]["pinnedVideos"]) == [v3, v1, v2]
    assert ids(to_business["account"]["pinnedVideos"]) == [v3, v1, v2]
    assert await account(api, "alice", "pinnedVideos { id }") == {
        "pinnedVideos": [{"id": v3}, {"id": v1}, {"id": v2}]
    }


async def test_preview_to_business_shows_the_remembered_pins(api):
    alice = await sign_up(api, "alice")
    v1, v2 = [await publish(api, alice, f"Video {n}") for n in (1, 2)]
    await go_business(api, alice.token)
    await pin(api, alice.token, [v2, v1])
    await switch(api, alice.token, "PERSONAL")

    result = await preview(api, alice.token, "BUSINESS")

    assert ids(result["pinnedVideos"]) == [v2, v1]
    assert await viewer(api, alice.token, "accountType pinnedVideos { id }") == {
        "accountType": "PERSONAL",
        "pinnedVideos": [],
    }


async def test_pins_deleted_or_made_private_while_personal_do_not_come_back(api):
    alice = await sign_up(api, "alice")
    v1, v2, v3 = [await publish(api, alice, f"Video {n}") for n in range(1, 4)]
    await go_business(api, alice.token)
    await pin(api, alice.token, [v3, v2, v1])
    await switch(api, alice.token, "PERSONAL")
    deleted = await api.mutate("deleteVideo", {"videoId": v2}, "deletedVideoId", token=alice.token)
    hidden = await api.mutate(
        "updateVideo", {"videoId": v3, "visibility": "PRIVATE"}, "video { id }", token=alice.token
    )
    assert deleted["userErrors"] == [] and hidden["userErrors"] == []

    payload = await switch(api, alice.token, "BUSINESS")

    assert ids(payload["changes"]["pinnedVideos"]) == [v1]
    assert ids(payload["account"]["pinnedVideos"]) == [v1]


async def test_personal_accounts_cannot_pin(api):
    alice = await sign_up(api, "alice")
    video = await publish(api, alice)
    payload = await api.mutate(
        "setPinnedVideos", {"videoIds": [video]}, "account { id }", token=alice.token
    )
    assert problems(payload) == [("BUSINESS_ACCOUNT_REQUIRED", None)]


async def test_preview_describes_the_switch_without_making_it(api):
    alice = await sign_up(api, "alice")
    v1, v2 = [await publish(api, alice, f"Video {n}") for n in (1, 2)]
    await go_business(api, alice.token)
    await pin(api, alice.token, [v2, v1])
    await update_profile(api, alice.token, websiteUrl="https://alice.example")

    result = await preview(api, alice.token, "PERSONAL")

    assert result == {
        "fromType": "BUSINESS",
        "toType": "PERSONAL",
        "featuresLost": PRO_FEATURES,
        "featuresGained": [],
        "clearedFields": ["websiteUrl"],
        "pinnedVideos": [{"id": v2}, {"id": v1}],
    }
    after = await viewer(api, alice.token, "accountType websiteUrl pinnedVideos { id }")
    assert after == {
        "accountType": "BUSINESS",
        "websiteUrl": "https://alice.example",
        "pinnedVideos": [{"id": v2}, {"id": v1}],
    }


async def test_preview_to_business_from_personal(api):
    alice = await sign_up(api, "alice")

    result = await preview(api, alice.token, "BUSINESS")

    assert result == {
        "fromType": "PERSONAL",
        "toType": "BUSINESS",
        "featuresLost": [],
        "featuresGained": PRO_FEATURES,
        "clearedFields": [],
        "pinnedVideos": [],
    }
    assert (await profile(api, alice.token))["accountType"] == "PERSONAL"


async def test_preview_anonymous_is_unauthenticated(api):
    await unauthenticated(api, "{ accountTypeSwitchPreview(to: BUSINESS) { toType } }")


@pytest.mark.parametrize("account_type", ["PERSONAL", "BUSINESS"])
async def test_switching_to_the_current_type_is_refused(api, account_type):
    alice = await sign_up(api, "alice")
    if account_type == "BUSINESS":
        await go_business(api, alice.token)

    payload = await switch(api, alice.token, account_type)

    assert problems(payload) == [("ALREADY_ACCOUNT_TYPE", ["input", "accountType"])]
    assert payload["account"] is None and payload["changes"] is None
    assert (await profile(api, alice.token))["accountType"] == account_type


async def test_switch_anonymous_is_unauthenticated(api):
    await unauthenticated(
        api, "mutation { switchAccountType(input: {accountType: BUSINESS}) { account { id } } }"
    )


# --- staff actions -------------------------------------------------------------------------


async def test_staff_set_an_accounts_standing(api):
    staff = await make_staff(api, api.engine)
    alice = await sign_up(api, "alice")

    payload = await set_standing(api, staff.token, alice.id, "WARNED")

    assert payload == {"account": {"handle": "alice", "standing": "WARNED"}, "userErrors": []}
    assert await viewer(api, alice.token, "standing") == {"standing": "WARNED"}
    assert await account(api, "alice", "standing", token=staff.token) == {"standing": "WARNED"}
    assert await account(api, "alice", "standing") == {"standing": None}


@pytest.mark.parametrize("standing", ["RESTRICTED", "BANNED", "GOOD"])
async def test_staff_may_set_every_standing(api, standing):
    staff = await make_staff(api, api.engine)
    alice = await sign_up(api, "alice")
    await set_standing(api, staff.token, alice.id, "WARNED")

    payload = await set_standing(api, staff.token, alice.id, standing)

    assert payload["account"]["standing"] == standing
    assert await viewer(api, alice.token, "standing") == {"standing": standing}


async def test_staff_mark_and_unmark_a_political_account(api):
    staff = await make_staff(api, api.engine)
    alice = await sign_up(api, "alice")

    marked = await set_political(api, staff.token, alice.id, True)

    assert marked == {"account": {"handle": "alice", "isPolitical": True}, "userErrors": []}
    assert await account(api, "alice", "isPolitical") == {"isPolitical": True}

    unmarked = await set_political(api, staff.token, alice.id, False)

    assert unmarked["account"]["isPolitical"] is False
    assert await account(api, "alice", "isPolitical") == {"isPolitical": False}


@pytest.mark.parametrize(
    ("query", "extra"),
    [(SET_STANDING, {"standing": "BANNED"}), (SET_POLITICAL, {"isPolitical": True})],
    ids=["standing", "political"],
)
async def test_non_staff_are_forbidden_and_nothing_changes(api, query, extra):
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")

    error = await api.error(query, {"input": {"accountId": bob.id, **extra}}, token=alice.token)

    assert error["extensions"]["code"] == "FORBIDDEN"
    assert await viewer(api, bob.token, "standing isPolitical") == {
        "standing": "GOOD",
        "isPolitical": False,
    }


@pytest.mark.parametrize(
    ("query", "extra"),
    [(SET_STANDING, {"standing": "BANNED"}), (SET_POLITICAL, {"isPolitical": True})],
    ids=["standing", "political"],
)
async def test_non_staff_cannot_act_on_themselves(api, query, extra):
    alice = await sign_up(api, "alice")

    error = await api.error(query, {"input": {"accountId": alice.id, **extra}}, token=alice.token)

    assert error["extensions"]["code"] == "FORBIDDEN"
    assert await viewer(api, alice.token, "standing isPolitical") == {
        "standing": "GOOD",
        "isPolitical": False,
    }


@pytest.mark.parametrize(
    ("query", "extra"),
    [(SET_STANDING, {"standing": "BANNED"}), (SET_POLITICAL, {"isPolitical": True})],
    ids=["standing", "political"],
)
async def test_staff_actions_anonymous_are_unauthenticated(api, query, extra):
    bob = await sign_up(api, "bob")

    await unauthenticated(api, query, {"input": {"accountId": bob.id, **extra}})

    assert await viewer(api, bob.token, "standing isPolitical") == {
        "standing": "GOOD",
        "isPolitical": False,
    }


async def _bad_account_ids(api, kind: str) -> str:
    if kind == "malformed":
        return "not-an-id"
    if kind == "video":
        owner = await sign_up(api, "owner")
        return await publish(api, owner)
    return encode_id("Account", 999_999)


@pytest.mark.parametrize(
    ("kind", "code"),
    [("malformed", "INVALID_ID"), ("video", "INVALID_ID"), ("unknown", "NOT_FOUND")],
)
@pytest.mark.parametrize("action", ["standing", "political"])
async def test_staff_actions_report_a_bad_account_id(api, kind, code, action):
    staff = await make_staff(api, api.engine)
    account_id = await _bad_account_ids(api, kind)

    if action == "standing":
        payload = await set_standing(api, staff.token, account_id, "BANNED")
    else:
        payload = await set_political(api, staff.token, account_id, True)

    assert problems(payload) == [(code, ["input", "accountId"])]
    assert payload["account"] is None


async def test_a_stale_token_does_not_stop_logging_in_or_signing_up(api):
    user = await sign_up(api, "stale")
    await api.mutate("logOut", {}, "revokedSessions", token=user.token)
    login = await api.mutate(
        "logIn", {"email": user.email, "password": user.password}, "token", token=user.token
    )
    assert login["userErrors"] == [] and login["token"]
    fresh = await api.mutate(
        "signUp",
        {
            "email": "fresh@example.com",
            "password": "long enough pw",
            "handle": "fresh",
            "displayName": "Fresh",
            "birthDate": "1990-01-01",
            "country": "US",
        },
        "token account { handle email }",
        token=user.token,
    )
    assert fresh["userErrors"] == []
    assert fresh["account"] == {"handle": "fresh", "email": "fresh@example.com"}


@pytest.mark.parametrize(
    ("query", "extra"),
    [(SET_STANDING, {"standing": "BANNED"}), (SET_POLITICAL, {"isPolitical": True})],
    ids=["standing", "political"],
)
async def test_staff_mutations_check_the_caller_before_the_input(api, query, extra):
    user = await sign_up(api, "notstaff")
    variables = {"input": {"accountId": "junk", **extra}}

    await unauthenticated(api, query, variables)
    forbidden = await api.error(query, variables, token=user.token)

    assert forbidden["extensions"]["code"] == "FORBIDDEN"
