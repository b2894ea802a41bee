"""A second user, and an anonymous visitor, try every query and mutation on the first user's rows."""

import pytest

from graphql_schema.tests.helpers import OPERATION_INFO, gid
from mailing.models import Client, Mailing, Message
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory


@pytest.fixture
def victim_rows(owner):
    client = ClientFactory(owner=owner, email="ann@example.com", full_name="Ann", comment="c")
    message = MessageFactory(owner=owner, subject="Secret", body="b")
    mailing = MailingFactory(owner=owner, message=message, clients=[client])
    return {"client": client, "message": message, "mailing": mailing}


def snapshot():
    return (
        list(Client.objects.values_list("id", "owner_id", "email", "full_name", "comment").order_by("id")),
        list(Message.objects.values_list("id", "owner_id", "subject", "body").order_by("id")),
        list(
            Mailing.objects.values_list("id", "owner_id", "message_id", "start_at", "end_at", "periodicity").order_by(
                "id"
            )
        ),
        sorted(Mailing.clients.through.objects.values_list("mailing_id", "client_id")),
    )


def mutations(rows, mine):
    """Every mutation, aimed at the victim's rows (own rows where a second id is needed)."""
    client, message, mailing = (
        gid("Client", rows["client"].pk),
        gid("Message", rows["message"].pk),
        gid("Mailing", rows["mailing"].pk),
    )
    my_client, my_message = gid("Client", mine["client"].pk), gid("Message", mine["message"].pk)
    start, end = "2031-01-01T00:00:00Z", "2031-02-01T00:00:00Z"
    return {
        "updateClient": ("UpdateClientInput", {"id": client, "fullName": "Hacked"}),
        "deleteClient": ("DeleteClientInput", {"id": client}),
        "updateMessage": ("UpdateMessageInput", {"id": message, "subject": "Hacked"}),
        "deleteMessage": ("DeleteMessageInput", {"id": message}),
        "updateMailing": ("UpdateMailingInput", {"id": mailing, "periodicity": "DAILY"}),
        "deleteMailing": ("DeleteMailingInput", {"id": mailing}),
        # Their message with my clients, and my message with their client: both as if missing.
        "createMailing": (
            "CreateMailingInput",
            {"message": message, "clients": [my_client], "startAt": start, "endAt": end, "periodicity": "ONCE"},
        ),
        "createMailing#2": (
            "CreateMailingInput",
            {"message": my_message, "clients": [client], "startAt": start, "endAt": end, "periodicity": "ONCE"},
        ),
    }


EXPECTED_FOR_OTHER_OWNER = {
    "updateClient": [{"kind": "VALIDATION", "field": "id", "message": "Client not found.", "code": "not_found"}],
    "deleteClient": [{"kind": "VALIDATION", "field": "id", "message": "Client not found.", "code": "not_found"}],
    "updateMessage": [{"kind": "VALIDATION", "field": "id", "message": "Message not found.", "code": "not_found"}],
    "deleteMessage": [{"kind": "VALIDATION", "field": "id", "message": "Message not found.", "code": "not_found"}],
    "updateMailing": [{"kind": "VALIDATION", "field": "id", "message": "Mailing not found.", "code": "not_found"}],
    "deleteMailing": [{"kind": "VALIDATION", "field": "id", "message": "Mailing not found.", "code": "not_found"}],
    "createMailing": [{"kind": "VALIDATION", "field": "message", "message": "Message not found.", "code": "not_found"}],
    "createMailing#2": [
        {
            "kind": "VALIDATION",
            "field": "clients",
            "message": "Client not found (at position 1 of the list).",
            "code": "not_found",
        }
    ],
}


def run_mutation(gql, name, input_type, variables):
    field = name.split("#")[0]
    query = f"""mutation($input: {input_type}!) {{ {field}(input: $input) {{ __typename {OPERATION_INFO} }} }}"""
    return gql.query(query, {"input": variables}).data[field]


@pytest.mark.django_db
def test_other_owner_sees_none_of_the_rows(gql, other_owner, victim_rows):
    # given
    ids = [
        gid("Client", victim_rows["client"].pk),
        gid("Message", victim_rows["message"].pk),
        gid("Mailing", victim_rows["mailing"].pk),
    ]
    query = """
    query($a: ID!, $b: ID!, $c: ID!) {
      a: node(id: $a) { id } b: node(id: $b) { id } c: node(id: $c) { id }
      clients(first: 100) { totalCount edges { node { id } } }
      messages(first: 100) { totalCount edges { node { id } } }
      mailings(first: 100) { totalCount edges { node { id } } }
      me { email }
    }"""

    # when
    with gql.login(other_owner):
        result = gql.query(query, {"a": ids[0], "b": ids[1], "c": ids[2]}).data

    # then
    empty = {"totalCount": 0, "edges": []}
    assert result == {
        "a": None,
        "b": None,
        "c": None,
        "clients": empty,
        "messages": empty,
        "mailings": empty,
        "me": {"email": "other@example.com"},
    }


@pytest.mark.django_db
def test_other_owner_changes_nothing_and_hears_not_found(gql, other_owner, victim_rows):
    # given
    mine = {"client": ClientFactory(owner=other_owner), "message": MessageFactory(owner=other_owner)}
    before = snapshot()

    # when
    with gql.login(other_owner):
        answers = {
            name: run_mutation(gql, name, input_type, variables)["messages"]
            for name, (input_type, variables) in mutations(victim_rows, mine).items()
        }

    # then
    assert answers == EXPECTED_FOR_OTHER_OWNER
    assert snapshot() == before


@pytest.mark.django_db
def test_a_foreign_id_answers_exactly_as_a_missing_one(gql, owner, other_owner, victim_rows):
    # given: ids of rows that existed once and are gone
    gone_message = MessageFactory(owner=owner)
    gone = {"client": ClientFactory(owner=owner), "message": gone_message}
    gone["mailing"] = MailingFactory(owner=owner, message=gone_message, clients=[gone["client"]])
    mine = {"client": ClientFactory(owner=other_owner), "message": MessageFactory(owner=other_owner)}
    foreign_calls = mutations(victim_rows, mine)
    missing_calls = mutations(gone, mine)
    gone["mailing"].delete()
    gone["client"].delete()
    gone_message.delete()

    # when
    with gql.login(other_owner):
        foreign = {name: run_mutation(gql, name, *call) for name, call in foreign_calls.items()}
        absent = {name: run_mutation(gql, name, *call) for name, call in missing_calls.items()}

    # then
    assert foreign == absent


@pytest.mark.django_db
def test_anonymous_gets_nothing_and_changes_nothing(gql, victim_rows):
    # given
    mine = {"client": victim_rows["client"], "message": victim_rows["message"]}
    before = snapshot()
    create_calls = {
        "createClient": ("CreateClientInput", {"email": "x@example.com", "fullName": "X"}),
        "createMessage": ("CreateMessageInput", {"subject": "s", "body": "b"}),
    }

    # when
    client_id = gid("Client", victim_rows["client"].pk)
    lists = gql.query(
        f"""{{ clients {{ totalCount }} messages {{ totalCount }} mailings {{ totalCount }} me {{ id }}
        node(id: "{client_id}") {{ id }} }}"""
    ).data
    answers = {
        name: run_mutation(gql, name, *call)["messages"]
        for name, call in {**mutations(victim_rows, mine), **create_calls}.items()
    }
    imported = gql.query(
        f'mutation {{ importClients(csv: "email,full_name\\nx@example.com,X") {{ __typename {OPERATION_INFO} }} }}'
    ).data["importClients"]

    # then
    assert lists == {
        "clients": {"totalCount": 0},
        "messages": {"totalCount": 0},
        "mailings": {"totalCount": 0},
        "me": None,
        "node": None,
    }
    for name, messages in answers.items():
        field = name.split("#")[0]
        assert messages == [
            {"kind": "PERMISSION", "field": field, "message": "User is not authenticated.", "code": None}
        ], name
    assert imported["messages"] == [
        {"kind": "PERMISSION", "field": "importClients", "message": "User is not authenticated.", "code": None}
    ]
    assert snapshot() == before
