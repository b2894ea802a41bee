import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client as HttpClient

from accounts.tests.factories import ManagerFactory
from graphql_schema.tests.helpers import OPERATION_INFO, gid, messages_of, validation
from mailing.identities.models import SenderIdentity
from mailing.tests.factories import MessageFactory

IDENTITY = "id name email replyTo isVerified"
CREATE = f"""
mutation($input: CreateSenderIdentityInput!) {{
  createSenderIdentity(input: $input) {{ __typename ... on SenderIdentity {{ {IDENTITY} }} {OPERATION_INFO} }}
}}"""
VERIFY = f"""
mutation($token: String!) {{
  verifySenderIdentity(token: $token) {{ __typename ... on AccountNotice {{ email message }} {OPERATION_INFO} }}
}}"""
DELETE = f"""
mutation($input: DeleteSenderIdentityInput!) {{
  deleteSenderIdentity(input: $input) {{ __typename ... on SenderIdentity {{ id }} {OPERATION_INFO} }}
}}"""
LIST = "{ senderIdentities { totalCount edges { node { email isVerified } } } }"
CREATE_MESSAGE = f"""
mutation($input: CreateMessageInput!) {{
  createMessage(input: $input) {{ __typename ... on Message {{ subject sender {{ email }} }} {OPERATION_INFO} }}
}}"""
UPDATE_MESSAGE = f"""
mutation($input: UpdateMessageInput!) {{
  updateMessage(input: $input) {{ __typename ... on Message {{ subject sender {{ email }} }} {OPERATION_INFO} }}
}}"""

pytestmark = pytest.mark.django_db


def verified(owner, email="news@shop.example", **fields) -> SenderIdentity:
    from django.utils import timezone

    return SenderIdentity.objects.create(
        owner=owner, name="Shop news", email=email, verified_at=timezone.now(), **fields
    )


def link_in(message) -> str:
    [link] = re.findall(r"https://mail\.example\.com/senders/verify/\S+/", message.body)
    return link


def test_an_identity_is_used_only_once_the_link_sent_to_its_address_is_opened(
    gql, owner, settings, django_capture_on_commit_callbacks
):
    # given
    settings.SITE_URL = "https://mail.example.com"

    # when: the owner adds an identity
    with gql.login(owner), django_capture_on_commit_callbacks(execute=True):
        created = gql.query(
            CREATE, {"input": {"name": "Shop news", "email": "news@shop.example", "replyTo": "help@shop.example"}}
        ).data["createSenderIdentity"]
        refused = gql.query(CREATE_MESSAGE, {"input": {"subject": "Sale", "body": "b", "sender": created["id"]}}).data[
            "createMessage"
        ]

    # then: it is not verified, a link went to its address, and no message may send as it yet
    identity = SenderIdentity.objects.get()
    assert created == {
        "__typename": "SenderIdentity",
        "id": gid("SenderIdentity", identity.pk),
        "name": "Shop news",
        "email": "news@shop.example",
        "replyTo": "help@shop.example",
        "isVerified": False,
    }
    [sent] = mail.outbox
    assert (sent.to, sent.subject) == (["news@shop.example"], "Confirm your sender address for the mailing service")
    assert 'The account owner@example.com wants to send mailings from news@shop.example under the name "Shop news"' in (
        sent.body.replace("\n", " ")
    )
    assert messages_of(refused) == [
        validation("sender", "This sender's address is not verified yet: open the link we sent to it.", "unverified")
    ]

    # when: someone who reads that mailbox (not logged in) opens the link
    page = HttpClient().get(urlsplit(link_in(sent)).path)
    again = HttpClient().get(urlsplit(link_in(sent)).path)
    with gql.login(owner):
        accepted = gql.query(CREATE_MESSAGE, {"input": {"subject": "Sale", "body": "b", "sender": created["id"]}}).data[
            "createMessage"
        ]

    # then
    assert page.status_code == 200
    assert "The sender address is verified: your messages can now be sent from it." in page.content.decode()
    assert again.status_code == 400
    assert "This link has already been used." in again.content.decode()
    identity.refresh_from_db()
    assert identity.verified_at is not None
    assert accepted == {"__typename": "Message", "subject": "Sale", "sender": {"email": "news@shop.example"}}


def test_the_verification_email_is_in_the_owners_language(gql, owner, settings, django_capture_on_commit_callbacks):
    # given
    settings.SITE_URL = "https://mail.example.com"
    owner.language = "ru"
    owner.save()

    # when
    with gql.login(owner), django_capture_on_commit_callbacks(execute=True):
        gql.query(CREATE, {"input": {"name": "Магазин", "email": "news@shop.example"}})

    # then
    [sent] = mail.outbox
    assert sent.subject == "Подтвердите адрес отправителя для сервиса рассылок"
    assert sent.body.startswith("Здравствуйте!\n")


def test_verify_sender_identity_with_the_token(gql, owner):
    # given
    from accounts.models import TokenPurpose
    from accounts.tokens import token_issue

    SenderIdentity.objects.create(owner=owner, name="Shop", email="news@shop.example")
    token = token_issue(user=owner, purpose=TokenPurpose.VERIFY_SENDER, email="news@shop.example")

    # when
    result = gql.query(VERIFY, {"token": token}).data["verifySenderIdentity"]
    reused = gql.query(VERIFY, {"token": token}).data["verifySenderIdentity"]
    forged = gql.query(VERIFY, {"token": token[:-2] + "xx"}).data["verifySenderIdentity"]

    # then
    assert result == {
        "__typename": "AccountNotice",
        "email": "news@shop.example",
        "message": "The sender address is verified: your messages can now be sent from it.",
    }
    assert messages_of(reused) == [validation("token", "This link has already been used.", "used_token")]
    assert messages_of(forged) == [
        validation(
            "token",
            "This link is not valid. Check that you copied all of it, or ask for a new one.",
            "invalid_token",
        )
    ]


def test_verifying_one_identity_leaves_the_link_of_another_usable(owner):
    # given
    from accounts.models import TokenPurpose
    from accounts.tokens import token_issue
    from mailing.identities.services import sender_identity_verify

    SenderIdentity.objects.create(owner=owner, name="A", email="a@shop.example")
    SenderIdentity.objects.create(owner=owner, name="B", email="b@shop.example")
    first = token_issue(user=owner, purpose=TokenPurpose.VERIFY_SENDER, email="a@shop.example")
    second = token_issue(user=owner, purpose=TokenPurpose.VERIFY_SENDER, email="b@shop.example")

    # when
    sender_identity_verify(token=first)
    sender_identity_verify(token=second)

    # then
    assert set(SenderIdentity.objects.filter(verified_at__isnull=False).values_list("email", flat=True)) == {
        "a@shop.example",
        "b@shop.example",
    }


def test_a_message_cannot_send_as_another_owners_identity(gql, owner, other_owner):
    # given
    theirs = verified(other_owner)
    message = MessageFactory(owner=owner)

    # when
    with gql.login(owner):
        created = gql.query(
            CREATE_MESSAGE, {"input": {"subject": "s", "body": "b", "sender": gid("SenderIdentity", theirs.pk)}}
        ).data["createMessage"]
        updated = gql.query(
            UPDATE_MESSAGE, {"input": {"id": gid("Message", message.pk), "sender": gid("SenderIdentity", theirs.pk)}}
        ).data["updateMessage"]
        wrong_type = gql.query(
            UPDATE_MESSAGE, {"input": {"id": gid("Message", message.pk), "sender": gid("Message", message.pk)}}
        ).data["updateMessage"]

    # then
    not_found = [validation("sender", "Sender identity not found.", "not_found")]
    assert messages_of(created) == not_found
    assert messages_of(updated) == not_found
    assert messages_of(wrong_type) == not_found
    message.refresh_from_db()
    assert message.sender_id is None


def test_a_message_goes_back_to_the_service_address_with_a_null_sender(gql, owner):
    # given
    message = MessageFactory(owner=owner, sender=verified(owner))

    # when
    with gql.login(owner):
        result = gql.query(UPDATE_MESSAGE, {"input": {"id": gid("Message", message.pk), "sender": None}}).data[
            "updateMessage"
        ]

    # then
    assert result == {"__typename": "Message", "subject": message.subject, "sender": None}


def test_an_identity_a_message_sends_as_cannot_be_deleted(gql, owner):
    # given
    identity = verified(owner)
    MessageFactory(owner=owner, sender=identity)
    spare = verified(owner, email="spare@shop.example")

    # when
    with gql.login(owner):
        refused = gql.query(DELETE, {"input": {"id": gid("SenderIdentity", identity.pk)}}).data["deleteSenderIdentity"]
        deleted = gql.query(DELETE, {"input": {"id": gid("SenderIdentity", spare.pk)}}).data["deleteSenderIdentity"]

    # then
    assert messages_of(refused) == [
        validation("id", "This sender is used by 1 message(s); choose another sender for them first.", "protected")
    ]
    assert deleted == {"__typename": "SenderIdentity", "id": gid("SenderIdentity", spare.pk)}
    assert list(SenderIdentity.objects.values_list("email", flat=True)) == ["news@shop.example"]


def test_an_owner_lists_their_own_identities_and_a_manager_everyones(
    gql, owner, other_owner, django_assert_max_num_queries
):
    # given
    verified(owner, email="a@shop.example")
    SenderIdentity.objects.create(owner=other_owner, name="B", email="b@other.example")
    manager = ManagerFactory()

    # when
    with gql.login(owner), django_assert_max_num_queries(4):
        mine = gql.query(LIST).data["senderIdentities"]
    with gql.login(manager):
        everyones = gql.query(LIST).data["senderIdentities"]
        refused = gql.query(
            DELETE, {"input": {"id": gid("SenderIdentity", SenderIdentity.objects.get(email="a@shop.example").pk)}}
        ).data["deleteSenderIdentity"]

    # then
    assert mine == {"totalCount": 1, "edges": [{"node": {"email": "a@shop.example", "isVerified": True}}]}
    assert everyones == {
        "totalCount": 2,
        "edges": [
            {"node": {"email": "b@other.example", "isVerified": False}},
            {"node": {"email": "a@shop.example", "isVerified": True}},
        ],
    }
    assert messages_of(refused) == [validation("id", "Sender identity not found.", "not_found")]
    assert SenderIdentity.objects.count() == 2


def test_the_same_address_twice_is_refused(gql, owner):
    # given
    verified(owner, email="news@shop.example")

    # when
    with gql.login(owner):
        result = gql.query(CREATE, {"input": {"name": "Again", "email": "NEWS@shop.example"}}).data[
            "createSenderIdentity"
        ]

    # then
    assert [m["code"] for m in messages_of(result)] == ["unique"]
