"""Operations generated from the schema (hypothesis-graphql) get clean answers through the real
HTTP stack: never a 5xx, every error with a message and an `extensions.code` other than
INTERNAL_SERVER_ERROR, and no database, driver or interpreter text in any error.

The judge is tools/fuzz/verdict.py, the same one the live schemathesis run uses. Derandomized,
so CI runs the same operations every time; bounded to well under a minute per backend.
"""

from __future__ import annotations

import json
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import mutations, queries
from tools.fuzz import scalars, verdict

from reelpay.graphql.schema import schema as reelpay_schema
from tests.factories import User, publish, sign_up

# Built from the code, not schema.graphql: what the server under test really serves.
SCHEMA = graphql.build_schema(reelpay_schema.as_str())
SCALARS = scalars.custom_scalars(SCHEMA)
assert SCHEMA.mutation_type is not None
# logOut would end the session the rest of the examples run in.
MUTATIONS = sorted(set(SCHEMA.mutation_type.fields) - {"logOut"})

BOUNDED = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    # One database and one signed-up viewer serve every example of a test.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture
async def viewer(api: Any) -> User:
    """A signed-up account with a published video, so IDs and pages name something."""
    user = await sign_up(api, "propviewer")
    await publish(api, user, "Generated")
    return user


async def judged(api: Any, query: str, token: str | None) -> list[str]:
    body = {"query": query, "variables": {}}
    response = await api.post(query, token=token)
    return verdict.problems(response.status_code, response.content, json.dumps(body))


@BOUNDED
@given(query=queries(SCHEMA, custom_scalars=SCALARS))
async def test_generated_queries_get_clean_answers(api: Any, viewer: User, query: str) -> None:
    # Given any query the schema allows, when sent anonymously and as a viewer,
    # then neither answer is a server error or a leak.
    assert await judged(api, query, None) == [], query
    assert await judged(api, query, viewer.token) == [], query


@BOUNDED
@given(mutation=mutations(SCHEMA, fields=MUTATIONS, custom_scalars=SCALARS))
async def test_generated_mutations_get_clean_answers(api: Any, viewer: User, mutation: str) -> None:
    # Given any mutation the schema allows (logOut aside), when a logged-in viewer sends it,
    # then the answer is no server error and no leak.
    assert await judged(api, mutation, viewer.token) == [], mutation


SPECIFIED_BY = {
    "Date": "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
    "DateTime": "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
    "Decimal": "https://speleotrove.com/decimal/daops.html#refnumsyn",
}


async def test_custom_scalars_say_what_specifies_them(api: Any) -> None:
    # Given the served schema, when a codegen tool introspects the scalars,
    # then each carries its specification's URL and a description of its wire format.
    query = "query($n: String!) { __type(name: $n) { kind specifiedByURL description } }"
    for name, url in SPECIFIED_BY.items():
        found = (await api.data(query, {"n": name}))["__type"]
        assert (found["kind"], found["specifiedByURL"]) == ("SCALAR", url)
        assert found["description"].startswith(("A calendar date", "An instant", "An exact"))
    assert f'scalar Date @specifiedBy(url: "{SPECIFIED_BY["Date"]}")' in reelpay_schema.as_str()


async def test_custom_scalars_parse_as_before(api: Any) -> None:
    # The overrides change names and descriptions only: the same values pass and fail.
    query = 'query($d: Date) { node(id: "QWNjb3VudDox") { ... on Account { rewards(from: $d) '
    query += "{ __typename } } } }"
    assert await api.data(query, {"d": "2028-02-29"}) == {"node": None}
    error = await api.error(query, {"d": "2026-02-30"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == (
        "Variable '$d' has invalid value: Value cannot represent a Date: \"2026-02-30\". "
        "day is out of range for month"
    )


async def test_a_mutation_after_one_that_failed_still_knows_the_viewer(api: Any) -> None:
    # Found by the generated mutations: a mutation answered with userErrors rolls its
    # transaction back, which expires the viewer it loaded and left as the operation's viewer;
    # a later field of the same document that reads that viewer (here runPayouts' staff check)
    # then touched an expired row outside the session's greenlet: INTERNAL_SERVER_ERROR.
    # Given a logged-in user who is not staff,
    user = await sign_up(api, "twice")
    # when one document first fails a profile change and then asks to run payouts,
    body = await api.execute(
        """mutation {
          updateProfile(input: { avatarUrl: "" }) { userErrors { code } }
          runPayouts(input: { createScheduled: false }) { paid }
        }""",
        token=user.token,
    )
    # then runPayouts is refused as for anyone who is not staff, not failed inside.
    found = [(e["path"], e["extensions"]["code"], e["message"]) for e in body["errors"]]
    assert found == [(["runPayouts"], "FORBIDDEN", "Only staff can do this.")]


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (500, "Internal Server Error", "HTTP 500"),
        (
            200,
            '{"errors":[{"message":"Unexpected error.","extensions":{"code":'
            '"INTERNAL_SERVER_ERROR"}}]}',
            "a server error (INTERNAL_SERVER_ERROR)",
        ),
        (200, '{"errors":[{"message":"boom"}]}', "an error without extensions.code"),
        (
            200,
            '{"errors":[{"message":"(sqlite3.IntegrityError) UNIQUE constraint failed",'
            '"extensions":{"code":"BAD_USER_INPUT"}}]}',
            "leaks 'sqlite3'",
        ),
        (
            200,
            '{"errors":[{"message":"x","extensions":{"code":"BAD_USER_INPUT",'
            '"sql":"SELECT id FROM accounts"}}]}',
            "leaks 'SELECT id FROM'",
        ),
    ],
)
def test_the_judge_catches_what_it_looks_for(status: int, body: str, problem: str) -> None:
    # The property tests above pass only if this judge can fail: each bad answer is named.
    assert any(found.startswith(problem) for found in verdict.problems(status, body)), (
        verdict.problems(status, body)
    )


def test_the_judge_passes_clean_answers_and_echoes() -> None:
    # A coded refusal is fine, and so is an error quoting back the request's own text.
    unauthenticated = '{"data":null,"errors":[{"message":"Log in first.","path":["viewer"],'
    unauthenticated += '"extensions":{"code":"UNAUTHENTICATED"}}]}'
    assert verdict.problems(200, unauthenticated) == []
    echo = '{"errors":[{"message":"Value cannot represent a Date: \\"SELECT * FROM x\\".",'
    echo += '"extensions":{"code":"BAD_USER_INPUT"}}]}'
    assert verdict.problems(200, echo, sent='{"d": "SELECT * FROM x"}') == []
    assert verdict.problems(200, '{"data":{"__typename":"Query"}}') == []
