"""What a manager reads (every mailing, with its owner and message; not other owners' clients or
drafts), what they may not write (anyone else's rows), and disabling/enabling mailings."""

import pytest

from accounts.tests.factories import ContentManagerFactory, ManagerFactory
from graphql_schema.tests.helpers import OPERATION_INFO, gid, messages_of, validation
from mailing.models import Client, Mailing, Message
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory

MAILINGS = """
query($filters: MailingFilter, $first: Int) {
  mailings(filters: $filters, first: $first) {
    totalCount
    edges { node {
      id isActive clientCount
      owner { id email fullName }
      message { id subject body }
      clients(first: 10) { totalCount edges { node { id } } }
    } }
  }
}"""
TOGGLE = f"""
mutation($id: ID!) {{
  disableMailing(id: $id) {{ __typename ... on Mailing {{ id isActive }} {OPERATION_INFO} }}
}}"""
ENABLE = f"""
mutation($id: ID!) {{
  enableMailing(id: $id) {{ __typename ... on Mailing {{ id isActive }} {OPERATION_INFO} }}
}}"""


@pytest.fixture
def manager(db):
    return ManagerFactory(email="manager@example.com", full_name="Mia Manager")


@pytest.fixture
def foreign(owner):
    """The owner's mailing, its message, a draft no mailing sends, and clients."""
    clients = [ClientFactory(owner=owner, email="ann@example.org"), ClientFactory(owner=owner, email="bo@example.org")]
    message = MessageFactory(owner=owner, subject="Spring sale", body="Buy now")
    draft = MessageFactory(owner=owner, subject="Draft")
    mailing = MailingFactory(owner=owner, message=message, clients=clients)
    return {"mailing": mailing, "message": message, "draft": draft, "clients": clients}


def snapshot():
    return (
        sorted(Client.objects.values_list("id", "owner_id", "email", "full_name", "comment")),
        sorted(Message.objects.values_list("id", "owner_id", "subject", "body")),
        sorted(Mailing.objects.values_list("id", "owner_id", "message_id", "start_at", "periodicity", "is_active")),
        sorted(Mailing.clients.through.objects.values_list("mailing_id", "client_id")),
    )


@pytest.mark.django_db
def test_a_manager_reads_every_mailing_with_its_owner_and_message_but_not_its_clients(gql, manager, owner, foreign):
    # given: a mailing of the manager's own
    mine = MailingFactory(owner=manager, clients=[ClientFactory(owner=manager, email="me@example.org")])

    # when
    with gql.login(manager):
        result = gql.query(MAILINGS).data["mailings"]

    # then
    mailing, message = foreign["mailing"], foreign["message"]
    assert result == {
        "totalCount": 2,
        "edges": [
            {
                "node": {
                    "id": gid("Mailing", mine.pk),
                    "isActive": True,
                    "clientCount": 1,
                    "owner": {"id": gid("User", manager.pk), "email": "manager@example.com", "fullName": "Mia Manager"},
                    "message": {
                        "id": gid("Message", mine.message.pk),
                        "subject": mine.message.subject,
                        "body": mine.message.body,
                    },
                    "clients": {"totalCount": 1, "edges": [{"node": {"id": gid("Client", mine.clients.get().pk)}}]},
                }
            },
            {
                "node": {
                    "id": gid("Mailing", mailing.pk),
                    "isActive": True,
                    "clientCount": 2,
                    "owner": {"id": gid("User", owner.pk), "email": "owner@example.com", "fullName": "Olga Owner"},
                    "message": {"id": gid("Message", message.pk), "subject": "Spring sale", "body": "Buy now"},
                    "clients": {"totalCount": 0, "edges": []},
                }
            },
        ],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("mine", "expected"), [(True, "own"), (False, "foreign")])
def test_a_manager_filters_their_own_mailings(gql, manager, foreign, mine, expected):
    # given
    own = MailingFactory(owner=manager)
    ids = {"own": [gid("Mailing", own.pk)], "foreign": [gid("Mailing", foreign["mailing"].pk)]}

    # when
    with gql.login(manager):
        result = gql.query(MAILINGS, {"filters": {"mine": mine}}).data["mailings"]

    # then
    assert [edge["node"]["id"] for edge in result["edges"]] == ids[expected]


@pytest.mark.django_db
@pytest.mark.parametrize("mailing_count", [3, 30])
def test_a_manager_lists_mailings_of_many_owners_in_a_fixed_number_of_queries(
    gql, manager, django_assert_num_queries, mailing_count
):
    # given
    for _ in range(mailing_count):
        mailing = MailingFactory()
        mailing.clients.set(ClientFactory.create_batch(2, owner=mailing.owner))

    # when / then: the session with roles, the page with its total and client counts, the
    # owners, the messages, and the clients (none visible to the manager)
    with gql.login(manager), django_assert_num_queries(6):
        result = gql.query(MAILINGS, {"first": 50}).data["mailings"]
    assert result["totalCount"] == mailing_count
    assert {edge["node"]["clientCount"] for edge in result["edges"]} == {2}


@pytest.mark.django_db
def test_a_manager_reads_a_foreign_message_only_when_a_mailing_sends_it(gql, manager, foreign):
    # given
    query = """query($sent: ID!, $draft: ID!, $client: ID!) {
      sent: node(id: $sent) { ... on Message { subject } }
      draft: node(id: $draft) { id }
      client: node(id: $client) { id }
      messages { totalCount }
      clients { totalCount }
    }"""
    variables = {
        "sent": gid("Message", foreign["message"].pk),
        "draft": gid("Message", foreign["draft"].pk),
        "client": gid("Client", foreign["clients"][0].pk),
    }

    # when
    with gql.login(manager):
        result = gql.query(query, variables).data

    # then: the lists are the manager's own (empty)
    assert result == {
        "sent": {"subject": "Spring sale"},
        "draft": None,
        "client": None,
        "messages": {"totalCount": 0},
        "clients": {"totalCount": 0},
    }


@pytest.mark.django_db
def test_a_manager_cannot_change_anyone_elses_rows(gql, manager, foreign):
    # given
    mailing, message, client = foreign["mailing"], foreign["message"], foreign["clients"][0]
    own_client = ClientFactory(owner=manager)
    own_message = MessageFactory(owner=manager)
    calls = {
        "updateMailing": ("UpdateMailingInput", {"id": gid("Mailing", mailing.pk), "periodicity": "DAILY"}),
        "updateMailing#clients": (
            "UpdateMailingInput",
            {"id": gid("Mailing", mailing.pk), "clients": [gid("Client", own_client.pk)]},
        ),
        "deleteMailing": ("DeleteMailingInput", {"id": gid("Mailing", mailing.pk)}),
        "updateMessage": ("UpdateMessageInput", {"id": gid("Message", message.pk), "subject": "Hacked"}),
        "deleteMessage": ("DeleteMessageInput", {"id": gid("Message", message.pk)}),
        "updateClient": ("UpdateClientInput", {"id": gid("Client", client.pk), "fullName": "Hacked"}),
        "deleteClient": ("DeleteClientInput", {"id": gid("Client", client.pk)}),
        "createMailing": (
            "CreateMailingInput",
            {
                "message": gid("Message", own_message.pk),
                "clients": [gid("Client", client.pk)],
                "startAt": "2031-01-01T00:00:00Z",
                "endAt": "2031-02-01T00:00:00Z",
                "periodicity": "ONCE",
            },
        ),
    }
    before = snapshot()

    # when
    answers = {}
    with gql.login(manager):
        for name, (input_type, variables) in calls.items():
            field = name.split("#")[0]
            query = f"mutation($input: {input_type}!) {{ {field}(input: $input) {{ __typename {OPERATION_INFO} }} }}"
            answers[name] = messages_of(gql.query(query, {"input": variables}).data[field])

    # then
    assert answers == {
        "updateMailing": [validation("id", "Mailing not found.", "not_found")],
        "updateMailing#clients": [validation("id", "Mailing not found.", "not_found")],
        "deleteMailing": [validation("id", "Mailing not found.", "not_found")],
        "updateMessage": [validation("id", "Message not found.", "not_found")],
        "deleteMessage": [validation("id", "Message not found.", "not_found")],
        "updateClient": [validation("id", "Client not found.", "not_found")],
        "deleteClient": [validation("id", "Client not found.", "not_found")],
        "createMailing": [validation("clients", "Client not found (at position 1 of the list).", "not_found")],
    }
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["owner", "manager"])
def test_the_owner_and_a_manager_disable_and_enable_a_mailing(gql, owner, manager, foreign, who):
    # given
    mailing = foreign["mailing"]
    actor = {"owner": owner, "manager": manager}[who]

    # when
    with gql.login(actor):
        disabled = gql.query(TOGGLE, {"id": gid("Mailing", mailing.pk)}).data["disableMailing"]
        disabled_again = gql.query(TOGGLE, {"id": gid("Mailing", mailing.pk)}).data["disableMailing"]
        mailing.refresh_from_db()
        state_after_disable = mailing.is_active
        enabled = gql.query(ENABLE, {"id": gid("Mailing", mailing.pk)}).data["enableMailing"]

    # then
    off = {"__typename": "Mailing", "id": gid("Mailing", mailing.pk), "isActive": False}
    assert (disabled, disabled_again, state_after_disable) == (off, off, False)
    assert enabled == {**off, "isActive": True}
    mailing.refresh_from_db()
    assert mailing.is_active is True


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["other_owner", "content_manager"])
def test_nobody_else_disables_a_mailing(gql, other_owner, foreign, who):
    # given
    actor = {"other_owner": other_owner, "content_manager": ContentManagerFactory()}[who]
    before = snapshot()

    # when
    with gql.login(actor):
        result = gql.query(TOGGLE, {"id": gid("Mailing", foreign["mailing"].pk)}).data["disableMailing"]

    # then
    assert messages_of(result) == [validation("id", "Mailing not found.", "not_found")]
    assert snapshot() == before
