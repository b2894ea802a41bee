"""The API carries a mailing's zone: naive times are wall time in it; output is UTC."""

import pytest

from graphql_schema.tests.helpers import OPERATION_INFO, gid, messages_of, validation
from mailing.models import Mailing
from mailing.tests.factories import ClientFactory, MessageFactory

FIELDS = "id startAt endAt timeZone nextRunAt"
CREATE = f"""
mutation($input: CreateMailingInput!) {{
  createMailing(input: $input) {{ __typename ... on Mailing {{ {FIELDS} }} {OPERATION_INFO} }}
}}"""
UPDATE = f"""
mutation($input: UpdateMailingInput!) {{
  updateMailing(input: $input) {{ __typename ... on Mailing {{ {FIELDS} }} {OPERATION_INFO} }}
}}"""


def create_input(owner, **overrides):
    values = {
        "message": gid("Message", MessageFactory(owner=owner).pk),
        "clients": [gid("Client", ClientFactory(owner=owner).pk)],
        "startAt": "2031-12-03T09:00:00",
        "endAt": "2031-12-31T18:00:00",
        "periodicity": "DAILY",
        **overrides,
    }
    return {"input": values}


@pytest.mark.django_db
def test_nine_o_clock_in_moscow_is_stored_as_such_and_shown_in_utc(gql, owner):
    # given: the owner's zone is the default
    owner.time_zone = "Europe/Moscow"
    owner.save()

    # when
    with gql.login(owner):
        result = gql.query(CREATE, create_input(owner)).data["createMailing"]

    # then
    assert result["startAt"] == "2031-12-03T06:00:00+00:00"
    assert result["endAt"] == "2031-12-31T15:00:00+00:00"
    assert result["nextRunAt"] == "2031-12-03T06:00:00+00:00"
    assert result["timeZone"] == "Europe/Moscow"
    mailing = Mailing.objects.get()
    assert mailing.start_at.isoformat() == "2031-12-03T09:00:00+03:00"


@pytest.mark.django_db
def test_a_time_with_an_offset_is_taken_as_it_is(gql, owner):
    # when
    with gql.login(owner):
        result = gql.query(
            CREATE, create_input(owner, startAt="2031-12-03T09:00:00+01:00", timeZone="Europe/Berlin")
        ).data["createMailing"]

    # then
    assert (result["startAt"], result["timeZone"]) == ("2031-12-03T08:00:00+00:00", "Europe/Berlin")


@pytest.mark.django_db
def test_a_zone_that_is_no_iana_name_is_refused_on_time_zone(gql, owner):
    # when
    with gql.login(owner):
        result = gql.query(CREATE, create_input(owner, timeZone="Europe/Atlantis")).data["createMailing"]

    # then
    assert messages_of(result) == [
        validation(
            "timeZone",
            "'Europe/Atlantis' is not a time zone name of the IANA database (such as Europe/Moscow).",
            "invalid_time_zone",
        )
    ]
    assert not Mailing.objects.exists()


@pytest.mark.django_db
def test_update_reads_naive_times_in_the_new_zone_and_a_zone_alone_keeps_the_instants(gql, owner):
    # given
    with gql.login(owner):
        created = gql.query(CREATE, create_input(owner)).data["createMailing"]

        # when
        moved = gql.query(UPDATE, {"input": {"id": created["id"], "timeZone": "Asia/Tokyo"}})
        renamed = gql.query(
            UPDATE, {"input": {"id": created["id"], "startAt": "2031-12-04T09:00:00", "timeZone": "Europe/Moscow"}}
        )

    # then
    assert moved.data["updateMailing"]["startAt"] == "2031-12-03T09:00:00+00:00"
    assert moved.data["updateMailing"]["timeZone"] == "Asia/Tokyo"
    assert renamed.data["updateMailing"]["startAt"] == "2031-12-04T06:00:00+00:00"
    assert renamed.data["updateMailing"]["timeZone"] == "Europe/Moscow"
