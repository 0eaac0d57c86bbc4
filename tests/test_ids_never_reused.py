"""A deleted row's ID is never given to a new one: clients cache objects by ID (Apollo, urql,
Relay), so an Enrolment that ended or an episode that was removed must not come back as another
object under the same ID. PostgreSQL sequences never go back; SQLite reuses the largest rowid
after a delete unless the table is AUTOINCREMENT (migration 0015)."""

from __future__ import annotations

from typing import Any

from tests.factories import User, enrol, sign_up
from tests.test_series_creating import add_ok, make_creator, new_series, remove

NODE = "query($id: ID!) { node(id: $id) { id } }"


async def enrolment_ids(api: Any, user: User) -> dict[str, str]:
    data = await api.data("{ viewer { enrolments { id program } } }", token=user.token)
    return {e["program"]: e["id"] for e in data["viewer"]["enrolments"]}


async def test_an_ended_enrolments_id_is_never_given_to_a_new_one(api):
    creator = await sign_up(api, "star")
    await enrol(api.engine, creator, "TIPS")
    left = await api.mutate(
        "leaveProgram", {"program": "TIPS"}, "leftEnrolmentId", token=creator.token
    )
    assert left["userErrors"] == []

    await enrol(api.engine, creator, "TIPS")  # joined again (staff approved a new application)

    again = (await enrolment_ids(api, creator))["TIPS"]
    assert again != left["leftEnrolmentId"]
    assert (await api.data(NODE, {"id": left["leftEnrolmentId"]}, token=creator.token)) == {
        "node": None
    }


async def test_a_removed_episodes_id_is_never_given_to_a_new_one(api):
    creator = await make_creator(api)
    series_id = await new_series(api, creator)
    await add_ok(api, creator, series_id, "Pilot")
    removed = await add_ok(api, creator, series_id, "Cut")
    assert (await remove(api, creator, removed))["userErrors"] == []

    added = await add_ok(api, creator, series_id, "New")

    assert added != removed
    assert (await api.data(NODE, {"id": removed}, token=creator.token)) == {"node": None}
