"""Pure rules, as tables of cases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from reelpay.accounts import validation
from reelpay.accounts.switching import PRO_FEATURES, preview_switch
from reelpay.content import audience
from reelpay.content.visibility import ContentAccess, can_see_video, content_access
from reelpay.enums import AccountType, FollowStatus, Role, Visibility
from reelpay.errors import DomainError, ErrorCode
from reelpay.settings import Rules

RULES = Rules()
F = ("input", "x")


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2000, 6, 15), date(2018, 6, 14), 17),
        (date(2000, 6, 15), date(2018, 6, 15), 18),
        (date(2000, 2, 29), date(2018, 2, 28), 17),
        (date(2000, 2, 29), date(2018, 3, 1), 18),
        (date(2000, 2, 29), date(2020, 2, 29), 20),
        (date(2000, 12, 31), date(2001, 1, 1), 0),
    ],
)
def test_age_on(born, on, age):
    assert validation.age_on(born, on) == age


@pytest.mark.parametrize(
    ("handle", "ok"),
    [
        ("ab", True),
        ("a", False),
        ("a" * 24, True),
        ("a" * 25, False),
        ("mia.dances", True),
        ("mia_dances_2", True),
        ("@mia", True),
        (".mia", False),
        ("mia.", False),
        ("mi..a", False),
        ("mi a", False),
        ("mia-dances", False),
        ("mía", False),
        ("", False),
    ],
)
def test_handle(handle, ok):
    if ok:
        assert validation.handle(handle, RULES, F) == handle.removeprefix("@")
    else:
        with pytest.raises(DomainError) as error:
            validation.handle(handle, RULES, F)
        assert error.value.problems[0].code is ErrorCode.INVALID_HANDLE
        assert error.value.problems[0].field == F


@pytest.mark.parametrize(
    ("born", "ok", "code"),
    [
        (date(2013, 6, 15), True, None),  # 13 today
        (date(2013, 6, 16), False, ErrorCode.TOO_YOUNG),  # 13 tomorrow
        (date(2026, 6, 16), False, ErrorCode.INVALID_BIRTH_DATE),  # future
        (date(1900, 1, 1), True, None),
    ],
)
def test_birth_date(born, ok, code):
    today = date(2026, 6, 15)
    if ok:
        assert validation.birth_date(born, today, RULES, F) == born
    else:
        with pytest.raises(DomainError) as error:
            validation.birth_date(born, today, RULES, F)
        assert error.value.problems[0].code is code


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.com", True),
        ("http://example.com/a?b=c", True),
        ("ftp://example.com", False),
        ("example.com", False),
        ("https://", False),
        ("https://exa mple.com", False),
        ("javascript:alert(1)", False),
        ("https://e.com/" + "a" * 2034, True),
        ("https://e.com/" + "a" * 2035, False),
    ],
)
def test_url(url, ok):
    if ok:
        assert validation.url(url, RULES, F) == url
    else:
        with pytest.raises(DomainError):
            validation.url(url, RULES, F)


@pytest.mark.parametrize(
    ("code", "ok"),
    [("US", True), ("us", True), ("KR", True), ("XX", False), ("USA", False), ("", False)],
)
def test_country(code, ok):
    if ok:
        assert validation.country(code, F) == code.upper()
    else:
        with pytest.raises(DomainError):
            validation.country(code, F)


def test_switch_to_personal_loses_pro_features_and_clears_filled_fields_only():
    preview = preview_switch(
        AccountType.BUSINESS,
        AccountType.PERSONAL,
        website_url="https://x.io",
        contact_email=None,
        pinned_video_ids=(3, 1),
    )
    assert preview.features_lost == PRO_FEATURES and preview.features_gained == ()
    assert preview.cleared_fields == ("websiteUrl",)
    assert preview.pinned_video_ids == (3, 1)


def test_switch_to_business_gains_features_and_restores_pins():
    preview = preview_switch(
        AccountType.PERSONAL,
        AccountType.BUSINESS,
        website_url=None,
        contact_email=None,
        pinned_video_ids=(2,),
    )
    assert preview.features_gained == PRO_FEATURES and preview.features_lost == ()
    assert preview.cleared_fields == () and preview.pinned_video_ids == (2,)


def test_switch_to_the_same_type_changes_nothing():
    preview = preview_switch(
        AccountType.PERSONAL,
        AccountType.PERSONAL,
        website_url=None,
        contact_email=None,
        pinned_video_ids=(2,),
    )
    assert (preview.features_lost, preview.features_gained, preview.pinned_video_ids) == (
        (),
        (),
        (),
    )


def _account(id_: int, visibility=Visibility.PUBLIC, role=Role.USER):
    return SimpleNamespace(id=id_, visibility=visibility, is_staff=role is Role.STAFF)


OWNER_PUBLIC = _account(1)
OWNER_PRIVATE = _account(1, Visibility.PRIVATE)


@pytest.mark.parametrize(
    ("viewer", "owner", "follow", "access"),
    [
        (None, OWNER_PUBLIC, None, ContentAccess.PUBLIC),
        (None, OWNER_PRIVATE, None, ContentAccess.NONE),
        (_account(1), OWNER_PRIVATE, None, ContentAccess.ALL),
        (_account(2, role=Role.STAFF), OWNER_PRIVATE, None, ContentAccess.ALL),
        (_account(2), OWNER_PRIVATE, FollowStatus.PENDING, ContentAccess.NONE),
        (_account(2), OWNER_PRIVATE, FollowStatus.ACCEPTED, ContentAccess.PUBLIC),
        (_account(2), OWNER_PUBLIC, None, ContentAccess.PUBLIC),
    ],
)
def test_content_access(viewer, owner, follow, access):
    assert content_access(viewer, owner, follow) is access


@pytest.mark.parametrize(
    ("access", "visibility", "deleted", "seen"),
    [
        (ContentAccess.ALL, Visibility.PRIVATE, False, True),
        (ContentAccess.ALL, Visibility.PUBLIC, True, False),
        (ContentAccess.PUBLIC, Visibility.PUBLIC, False, True),
        (ContentAccess.PUBLIC, Visibility.PRIVATE, False, False),
        (ContentAccess.NONE, Visibility.PUBLIC, False, False),
    ],
)
def test_can_see_video(access, visibility, deleted, seen):
    video = SimpleNamespace(
        visibility=visibility, deleted_at=datetime(2026, 1, 1, tzinfo=UTC) if deleted else None
    )
    assert can_see_video(access, video) is seen


def test_views_window_is_today_and_the_29_days_before():
    assert audience.views_window(date(2026, 6, 15), 30) == (date(2026, 5, 16), date(2026, 6, 14))
    assert audience.posts_window_start(datetime(2026, 6, 15, 12, tzinfo=UTC), 30) == datetime(
        2026, 5, 16, 12, tzinfo=UTC
    )
