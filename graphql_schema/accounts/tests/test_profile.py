"""A user's time zone and language: chosen at registration, changed with updateProfile."""

import pytest

from accounts.models import User
from graphql_schema.tests.helpers import OPERATION_INFO, messages_of, validation

REGISTER = f"""
mutation($input: RegisterInput!) {{
  register(input: $input) {{ __typename ... on AccountNotice {{ email }} {OPERATION_INFO} }}
}}"""
UPDATE = f"""
mutation($input: UpdateProfileInput!) {{
  updateProfile(input: $input) {{ __typename ... on User {{ fullName timeZone language }} {OPERATION_INFO} }}
}}"""
ME = "query { me { timeZone language } }"
GOOD = {"email": "nina@example.com", "password": "a fine long passphrase", "fullName": "Nina"}


@pytest.mark.django_db
def test_register_keeps_the_browser_zone_and_language(gql, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = gql.query(REGISTER, {"input": {**GOOD, "timeZone": "Europe/Moscow", "language": "ru"}})

    # then
    assert result.data["register"]["__typename"] == "AccountNotice"
    assert User.objects.values_list("time_zone", "language").get() == ("Europe/Moscow", "ru")


@pytest.mark.django_db
def test_register_defaults_to_utc_and_the_request_language(django_capture_on_commit_callbacks):
    # given
    from strawberry_django.test.client import TestClient

    gql = TestClient("/graphql/")
    gql.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru-RU,ru;q=0.9"

    # when
    with django_capture_on_commit_callbacks(execute=True):
        gql.query(REGISTER, {"input": GOOD})

    # then
    assert User.objects.values_list("time_zone", "language").get() == ("UTC", "ru")


@pytest.mark.django_db
def test_register_refuses_a_zone_that_is_no_iana_name_and_stores_nothing(gql):
    # when
    result = gql.query(REGISTER, {"input": {**GOOD, "timeZone": "Mars/Olympus", "language": "de"}})

    # then
    assert messages_of(result.data["register"]) == [
        validation(
            "timeZone",
            "'Mars/Olympus' is not a time zone name of the IANA database (such as Europe/Moscow).",
            "invalid_time_zone",
        ),
        validation("language", "Unknown language 'de'; expected one of ru, en.", "invalid_language"),
    ]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_update_profile_changes_only_what_was_sent(gql, owner):
    # when
    with gql.login(owner):
        result = gql.query(UPDATE, {"input": {"timeZone": "Europe/Berlin"}})
        me = gql.query(ME)

    # then
    assert result.data["updateProfile"] == {
        "__typename": "User",
        "fullName": "Olga Owner",
        "timeZone": "Europe/Berlin",
        "language": "en",
    }
    assert me.data["me"] == {"timeZone": "Europe/Berlin", "language": "en"}


@pytest.mark.django_db
def test_update_profile_names_each_bad_field_and_changes_nothing(gql, owner):
    # when
    with gql.login(owner):
        result = gql.query(UPDATE, {"input": {"fullName": "New\nName", "timeZone": "Nowhere", "language": None}})

    # then
    assert messages_of(result.data["updateProfile"]) == [
        validation("language", "This field cannot be null.", "null"),
    ]
    with gql.login(owner):
        result = gql.query(UPDATE, {"input": {"fullName": "New\nName", "timeZone": "Nowhere"}})
    assert messages_of(result.data["updateProfile"]) == [
        validation("fullName", "Must be a single line.", "multiline"),
        validation(
            "timeZone",
            "'Nowhere' is not a time zone name of the IANA database (such as Europe/Moscow).",
            "invalid_time_zone",
        ),
    ]
    owner.refresh_from_db()
    assert (owner.full_name, owner.time_zone) == ("Olga Owner", "UTC")


@pytest.mark.django_db
def test_update_profile_needs_a_session(gql):
    # when
    result = gql.query(UPDATE, {"input": {"language": "ru"}})

    # then
    assert messages_of(result.data["updateProfile"])[0]["kind"] == "PERMISSION"
