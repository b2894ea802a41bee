import pytest

from graphql_schema.tests.helpers import OPERATION_INFO, gid, messages_of, validation
from mailing.models import Message
from mailing.tests.factories import MailingFactory, MessageFactory

MESSAGE_FIELDS = "id subject body htmlBody createdAt"

CREATE = f"""
mutation($input: CreateMessageInput!) {{
  createMessage(input: $input) {{ __typename ... on Message {{ {MESSAGE_FIELDS} }} {OPERATION_INFO} }}
}}"""
UPDATE = f"""
mutation($input: UpdateMessageInput!) {{
  updateMessage(input: $input) {{ __typename ... on Message {{ {MESSAGE_FIELDS} }} {OPERATION_INFO} }}
}}"""
DELETE = f"""
mutation($input: DeleteMessageInput!) {{
  deleteMessage(input: $input) {{ __typename ... on Message {{ id subject }} {OPERATION_INFO} }}
}}"""
LIST = f"""
query($filters: MessageFilter, $ordering: [MessageOrder!]) {{
  messages(filters: $filters, ordering: $ordering, first: 100) {{ totalCount edges {{ node {{ {MESSAGE_FIELDS} }} }} }}
}}"""


@pytest.mark.django_db
def test_create_message(gql, owner):
    # when
    with gql.login(owner):
        result = gql.query(CREATE, {"input": {"subject": "Spring sale", "body": "Hello {name}"}}).data["createMessage"]

    # then
    message = Message.objects.get()
    assert result == {
        "__typename": "Message",
        "id": gid("Message", message.pk),
        "subject": "Spring sale",
        "body": "Hello {name}",
        "htmlBody": "",
        "createdAt": message.created_at.isoformat(),
    }
    assert message.owner == owner


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"subject": "", "body": "b"}, [validation("subject", "This field cannot be blank.", "blank")]),
        ({"subject": "   ", "body": "b"}, [validation("subject", "This field cannot be blank.", "blank")]),
        ({"subject": "s", "body": ""}, [validation("body", "This field cannot be blank.", "blank")]),
        (
            {"subject": "a\nBcc: x@example.com", "body": "b"},
            [validation("subject", "Must be a single line.", "multiline")],
        ),
        (
            {"subject": "s" * 10_000, "body": "b"},
            [validation("subject", "Ensure this value has at most 255 characters (it has 10000).", "max_length")],
        ),
    ],
)
def test_create_message_rejects_bad_input_and_stores_nothing(gql, owner, payload, expected):
    # when
    with gql.login(owner):
        result = gql.query(CREATE, {"input": payload}).data["createMessage"]

    # then
    assert messages_of(result) == expected
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_update_message(gql, owner):
    # given
    message = MessageFactory(owner=owner, subject="Old", body="Body")

    # when
    with gql.login(owner):
        result = gql.query(UPDATE, {"input": {"id": gid("Message", message.pk), "subject": "New"}}).data[
            "updateMessage"
        ]

    # then
    assert (result["subject"], result["body"]) == ("New", "Body")
    message.refresh_from_db()
    assert (message.subject, message.body) == ("New", "Body")


@pytest.mark.django_db
def test_update_message_with_empty_subject_changes_nothing(gql, owner):
    # given
    message = MessageFactory(owner=owner, subject="Old")

    # when
    with gql.login(owner):
        result = gql.query(UPDATE, {"input": {"id": gid("Message", message.pk), "subject": ""}}).data["updateMessage"]

    # then
    assert messages_of(result) == [validation("subject", "This field cannot be blank.", "blank")]
    message.refresh_from_db()
    assert message.subject == "Old"


@pytest.mark.django_db
def test_delete_message(gql, owner):
    # given
    message = MessageFactory(owner=owner, subject="Bye")

    # when
    with gql.login(owner):
        result = gql.query(DELETE, {"input": {"id": gid("Message", message.pk)}}).data["deleteMessage"]

    # then
    assert result == {"__typename": "Message", "id": gid("Message", message.pk), "subject": "Bye"}
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_delete_message_used_by_a_mailing_is_refused(gql, owner):
    # given
    mailing = MailingFactory(owner=owner)

    # when
    with gql.login(owner):
        result = gql.query(DELETE, {"input": {"id": gid("Message", mailing.message.pk)}}).data["deleteMessage"]

    # then
    assert messages_of(result) == [
        validation("id", "This message is used by 1 mailing(s); delete them first.", "protected")
    ]
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_list_messages_searches_the_subject(gql, owner):
    # given
    MessageFactory(owner=owner, subject="Spring sale")
    MessageFactory(owner=owner, subject="Autumn news")

    # when
    with gql.login(owner):
        result = gql.query(LIST, {"filters": {"search": "sale"}}).data["messages"]

    # then
    assert result["totalCount"] == 1
    assert [edge["node"]["subject"] for edge in result["edges"]] == ["Spring sale"]
