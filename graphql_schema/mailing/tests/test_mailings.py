from datetime import UTC, datetime

import pytest

from graphql_schema.tests.helpers import OPERATION_INFO, gid, messages_of, validation
from mailing.models import Mailing, MailingStatus, Periodicity
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory

MAILING_FIELDS = """
id startAt endAt periodicity status isActive nextRunAt createdAt
message { id subject }
clients(first: 10) { totalCount edges { node { id email } } }
"""

CREATE = f"""
mutation($input: CreateMailingInput!) {{
  createMailing(input: $input) {{ __typename ... on Mailing {{ {MAILING_FIELDS} }} {OPERATION_INFO} }}
}}"""
UPDATE = f"""
mutation($input: UpdateMailingInput!) {{
  updateMailing(input: $input) {{ __typename ... on Mailing {{ {MAILING_FIELDS} }} {OPERATION_INFO} }}
}}"""
DELETE = f"""
mutation($input: DeleteMailingInput!) {{
  deleteMailing(input: $input) {{ __typename ... on Mailing {{ id }} {OPERATION_INFO} }}
}}"""
LIST = f"""
query($filters: MailingFilter, $ordering: [MailingOrder!], $first: Int) {{
  mailings(filters: $filters, ordering: $ordering, first: $first) {{
    totalCount edges {{ node {{ {MAILING_FIELDS} }} }}
  }}
}}"""

START = datetime(2031, 3, 1, 9, 30, tzinfo=UTC)
END = datetime(2031, 12, 31, 18, 0, tzinfo=UTC)


@pytest.fixture
def message(owner):
    return MessageFactory(owner=owner, subject="Spring sale")


@pytest.fixture
def clients(owner):
    return [ClientFactory(owner=owner, email="ann@example.com"), ClientFactory(owner=owner, email="bob@example.com")]


def create_input(message_, clients_, **overrides):
    values = {
        "message": gid("Message", message_.pk),
        "clients": [gid("Client", client.pk) for client in clients_],
        "startAt": START.isoformat(),
        "endAt": END.isoformat(),
        "periodicity": "WEEKLY",
    }
    values.update(overrides)
    return {"input": values}


@pytest.mark.django_db
def test_create_mailing(gql, owner, message, clients):
    # when
    with gql.login(owner):
        result = gql.query(CREATE, create_input(message, clients)).data["createMailing"]

    # then
    mailing = Mailing.objects.get()
    assert result == {
        "__typename": "Mailing",
        "id": gid("Mailing", mailing.pk),
        "startAt": "2031-03-01T09:30:00+00:00",
        "endAt": "2031-12-31T18:00:00+00:00",
        "periodicity": "WEEKLY",
        "status": "CREATED",
        "isActive": True,
        "nextRunAt": "2031-03-01T09:30:00+00:00",
        "createdAt": mailing.created_at.isoformat(),
        "message": {"id": gid("Message", message.pk), "subject": "Spring sale"},
        "clients": {
            "totalCount": 2,
            "edges": [
                {"node": {"id": gid("Client", clients[1].pk), "email": "bob@example.com"}},
                {"node": {"id": gid("Client", clients[0].pk), "email": "ann@example.com"}},
            ],
        },
    }
    assert mailing.owner == owner


@pytest.mark.django_db
def test_create_mailing_accepts_periodicity_as_an_enum_literal(gql, owner, message, clients):
    # given
    message_id, client_id = gid("Message", message.pk), gid("Client", clients[0].pk)
    query = f"""mutation {{ createMailing(input: {{message: "{message_id}", clients: ["{client_id}"],
      startAt: "2031-03-01T09:30:00Z", endAt: "2031-04-01T09:30:00Z", periodicity: MONTHLY}})
      {{ __typename ... on Mailing {{ periodicity }} }} }}"""

    # when
    with gql.login(owner):
        result = gql.query(query).data["createMailing"]

    # then
    assert result == {"__typename": "Mailing", "periodicity": "MONTHLY"}
    assert Mailing.objects.get().periodicity == Periodicity.MONTHLY


@pytest.mark.django_db
def test_create_mailing_takes_a_time_without_offset_as_utc(gql, owner, message, clients):
    # when
    with gql.login(owner):
        result = gql.query(
            CREATE, create_input(message, clients, startAt="2031-03-01T09:30:00", endAt="2031-03-02T09:30:00")
        ).data["createMailing"]

    # then
    assert (result["startAt"], result["endAt"]) == ("2031-03-01T09:30:00+00:00", "2031-03-02T09:30:00+00:00")


@pytest.mark.django_db
def test_create_mailing_reports_every_bad_field_and_stores_nothing(gql, owner, other_owner, clients):
    # given: the other owner's message and client, an unknown periodicity, an end before the start
    foreign_message = MessageFactory(owner=other_owner)
    foreign_client = ClientFactory(owner=other_owner)
    variables = {
        "input": {
            "message": gid("Message", foreign_message.pk),
            "clients": [gid("Client", clients[0].pk), gid("Client", foreign_client.pk)],
            "startAt": END.isoformat(),
            "endAt": START.isoformat(),
            "periodicity": "YEARLY",
        }
    }

    # when
    with gql.login(owner):
        result = gql.query(CREATE, variables).data["createMailing"]

    # then
    assert messages_of(result) == [
        validation(
            "periodicity",
            "Unknown periodicity 'YEARLY'; expected one of ONCE, DAILY, WEEKLY, MONTHLY.",
            "invalid_choice",
        ),
        validation("message", "Message not found.", "not_found"),
        validation("clients", "Client not found (at position 2 of the list).", "not_found"),
        validation("endAt", "The end must be after the start.", "end_before_start"),
    ]
    assert Mailing.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"endAt": START.isoformat()}, validation("endAt", "The end must be after the start.", "end_before_start")),
        ({"clients": []}, validation("clients", "Choose at least one client.", "required")),
        ({"message": gid("Message", 999_999)}, validation("message", "Message not found.", "not_found")),
        ({"message": gid("Client", 1)}, validation("message", "Message not found.", "not_found")),
        (
            {"clients": [gid("Client", 999_999)]},
            validation("clients", "Client not found (at position 1 of the list).", "not_found"),
        ),
        (
            {"periodicity": "yearly"},
            validation(
                "periodicity",
                "Unknown periodicity 'yearly'; expected one of ONCE, DAILY, WEEKLY, MONTHLY.",
                "invalid_choice",
            ),
        ),
    ],
)
def test_create_mailing_rejects_each_bad_field(gql, owner, message, clients, overrides, expected):
    # when
    with gql.login(owner):
        result = gql.query(CREATE, create_input(message, clients, **overrides)).data["createMailing"]

    # then
    assert messages_of(result) == [expected]
    assert Mailing.objects.count() == 0


@pytest.mark.django_db
def test_status_is_not_an_input(gql, owner, message, clients):
    # when
    with gql.login(owner):
        result = gql.query(CREATE, create_input(message, clients, status="FINISHED"), assert_no_errors=False)

    # then
    assert result.data is None
    assert len(result.errors) == 1
    assert "not to include unknown field 'status'" in result.errors[0]["message"]
    assert Mailing.objects.count() == 0


@pytest.mark.django_db
def test_update_mailing_changes_the_fields_sent(gql, owner, message, clients):
    # given
    mailing = MailingFactory(owner=owner, start_at=START, end_at=END, clients=clients)
    new_message = MessageFactory(owner=owner, subject="Autumn")
    new_client = ClientFactory(owner=owner, email="cat@example.com")

    # when
    with gql.login(owner):
        result = gql.query(
            UPDATE,
            {
                "input": {
                    "id": gid("Mailing", mailing.pk),
                    "message": gid("Message", new_message.pk),
                    "clients": [gid("Client", new_client.pk)],
                    "startAt": "2031-04-01T08:00:00+00:00",
                    "periodicity": "DAILY",
                }
            },
        ).data["updateMailing"]

    # then
    assert result["message"] == {"id": gid("Message", new_message.pk), "subject": "Autumn"}
    assert result["clients"]["edges"] == [{"node": {"id": gid("Client", new_client.pk), "email": "cat@example.com"}}]
    assert (result["startAt"], result["nextRunAt"], result["endAt"], result["periodicity"]) == (
        "2031-04-01T08:00:00+00:00",
        "2031-04-01T08:00:00+00:00",
        "2031-12-31T18:00:00+00:00",
        "DAILY",
    )


@pytest.mark.django_db
def test_update_mailing_with_a_bad_field_changes_nothing(gql, owner, clients):
    # given
    mailing = MailingFactory(owner=owner, start_at=START, end_at=END, clients=clients)

    # when
    with gql.login(owner):
        result = gql.query(
            UPDATE,
            {"input": {"id": gid("Mailing", mailing.pk), "endAt": "2030-01-01T00:00:00Z", "clients": []}},
        ).data["updateMailing"]

    # then
    assert messages_of(result) == [
        validation("clients", "Choose at least one client.", "required"),
        validation("endAt", "The end must be after the start.", "end_before_start"),
    ]
    mailing.refresh_from_db()
    assert mailing.end_at == END
    assert set(mailing.clients.all()) == set(clients)


@pytest.mark.django_db
def test_delete_mailing_keeps_its_message_and_clients(gql, owner, clients):
    # given
    mailing = MailingFactory(owner=owner, clients=clients)

    # when
    with gql.login(owner):
        result = gql.query(DELETE, {"input": {"id": gid("Mailing", mailing.pk)}}).data["deleteMailing"]

    # then
    assert result == {"__typename": "Mailing", "id": gid("Mailing", mailing.pk)}
    assert not Mailing.objects.exists()
    assert mailing.message.__class__.objects.count() == 1
    assert clients[0].__class__.objects.count() == 2


@pytest.mark.django_db
def test_list_mailings_filters_by_status_and_periodicity(gql, owner):
    # given
    MailingFactory(owner=owner, periodicity=Periodicity.DAILY)
    wanted = MailingFactory(owner=owner, periodicity=Periodicity.DAILY, status=MailingStatus.STARTED)
    MailingFactory(owner=owner, periodicity=Periodicity.WEEKLY, status=MailingStatus.STARTED)

    # when
    with gql.login(owner):
        result = gql.query(LIST, {"filters": {"status": "STARTED", "periodicity": "DAILY"}, "first": 10}).data[
            "mailings"
        ]

    # then
    assert result["totalCount"] == 1
    assert [edge["node"]["id"] for edge in result["edges"]] == [gid("Mailing", wanted.pk)]


@pytest.mark.django_db
def test_list_mailings_orders_by_start(gql, owner):
    # given
    late = MailingFactory(owner=owner, start_at=datetime(2031, 6, 1, tzinfo=UTC), end_at=END)
    early = MailingFactory(owner=owner, start_at=START, end_at=END)

    # when
    with gql.login(owner):
        result = gql.query(LIST, {"ordering": [{"startAt": "ASC"}], "first": 10}).data["mailings"]

    # then
    assert [edge["node"]["id"] for edge in result["edges"]] == [gid("Mailing", early.pk), gid("Mailing", late.pk)]


@pytest.mark.django_db
@pytest.mark.parametrize("mailing_count", [5, 50])
def test_list_mailings_runs_a_fixed_number_of_queries(gql, owner, django_assert_num_queries, mailing_count):
    # given: mailings with 20 clients each
    clients = ClientFactory.create_batch(20, owner=owner)
    for _ in range(mailing_count):
        MailingFactory(owner=owner, clients=clients)

    # when / then: the session, the user, one page of mailings with its total, their messages,
    # and the first clients of every mailing with their totals
    with gql.login(owner), django_assert_num_queries(5):
        result = gql.query(LIST, {"first": 50}).data["mailings"]
    assert result["totalCount"] == mailing_count
    assert all(edge["node"]["clients"]["totalCount"] == 20 for edge in result["edges"])
    assert all(len(edge["node"]["clients"]["edges"]) == 10 for edge in result["edges"])
