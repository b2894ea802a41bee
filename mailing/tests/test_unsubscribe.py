from datetime import timedelta

import pytest
from django.utils import timezone

from mailing.delivery import runs, worker
from mailing.models import Client, DeliveryAttempt, DeliveryStatus
from mailing.rendering import unsubscribe_token
from mailing.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_unsubscribe_link_marks_the_client_once(client, owner, method):
    # given
    ann = ClientFactory(owner=owner, email="ann@example.org")
    url = f"/unsubscribe/{unsubscribe_token(ann.pk)}/"

    # when
    first = getattr(client, method)(url, {"List-Unsubscribe": "One-Click"} if method == "post" else None)
    marked_at = Client.objects.get(pk=ann.pk).unsubscribed_at
    again = getattr(client, method)(url)

    # then
    assert (first.status_code, again.status_code) == (200, 200)
    assert b"You are unsubscribed" in first.content
    assert b"ann@example.org" in first.content
    assert marked_at is not None
    assert Client.objects.get(pk=ann.pk).unsubscribed_at == marked_at


def test_the_one_click_post_needs_no_csrf_token(owner):
    # given: a mail client's POST, without cookie or token
    from django.test import Client as HttpClient

    ann = ClientFactory(owner=owner)
    http = HttpClient(enforce_csrf_checks=True)

    # when
    response = http.post(f"/unsubscribe/{unsubscribe_token(ann.pk)}/", {"List-Unsubscribe": "One-Click"})

    # then
    assert response.status_code == 200
    assert Client.objects.get(pk=ann.pk).unsubscribed_at is not None


@pytest.mark.parametrize("token", ["1:forged", "garbage", "999999:x"])
def test_a_bad_token_changes_nothing(client, owner, token):
    # given
    ann = ClientFactory(owner=owner)
    forged = f"{ann.pk}:forged" if token == "1:forged" else token

    # when
    response = client.get(f"/unsubscribe/{forged}/")

    # then
    assert response.status_code == 404
    assert b"This link is not valid" in response.content
    assert Client.objects.get(pk=ann.pk).unsubscribed_at is None


def test_the_link_in_a_sent_message_unsubscribes_and_the_next_run_skips_the_client(client, owner, smtp_server):
    # given: a daily mailing sent once
    ann = ClientFactory(owner=owner, email="ann@example.org")
    now = timezone.now()
    MailingFactory(owner=owner, clients=[ann], start_at=now, end_at=now + timedelta(days=3), periodicity="DAILY")
    (run,) = runs.run_due_mailings(now=now, enqueue=None)
    worker.run_process(run_id=run.pk, handover=None)
    header = smtp_server.messages[0].message["List-Unsubscribe"]

    # when: the one-click POST to the header's URL, then the next day's run
    url = header.strip("<>").removeprefix("https://mail.example.net")
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    (tomorrow,) = runs.run_due_mailings(now=now + timedelta(days=1), enqueue=None)

    # then
    assert response.status_code == 200
    assert DeliveryAttempt.objects.get(run=tomorrow).status == DeliveryStatus.SKIPPED
