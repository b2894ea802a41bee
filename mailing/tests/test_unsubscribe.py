import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mailing.delivery import runs, worker
from mailing.models import Client, DeliveryAttempt, DeliveryStatus
from mailing.rendering import unsubscribe_token
from mailing.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


def test_a_get_of_the_link_shows_the_button_and_unsubscribes_no_one(client, owner):
    # given: a mail security scanner fetches every link of a message
    ann = ClientFactory(owner=owner, email="ann@example.org")
    url = f"/unsubscribe/{unsubscribe_token(ann.pk)}/"

    # when
    first = client.get(url)
    again = client.head(url)

    # then
    assert (first.status_code, again.status_code) == (200, 200)
    assert Client.objects.get(pk=ann.pk).unsubscribed_at is None
    page = first.content.decode()
    assert "Unsubscribe from these mailings?" in page
    assert "<strong>ann@example.org</strong> will get no more mailings from this sender." in page
    assert re.findall(r"<form[^>]*>|<button[^>]*>[^<]*</button>", page) == [
        '<form method="post">',
        '<button class="btn btn-primary" type="submit">Unsubscribe</button>',
    ]


def test_the_page_is_in_the_readers_language(client, owner):
    # given
    ann = ClientFactory(owner=owner, email="ann@example.org")
    url = f"/unsubscribe/{unsubscribe_token(ann.pk)}/"

    # when
    russian = client.get(url, HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    done = client.post(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    # then
    assert '<html lang="ru">' in russian
    assert "Отписаться от этих рассылок?" in russian
    assert ">Отписаться</button>" in russian
    assert '<html lang="en">' in english
    assert ">Unsubscribe</button>" in english
    assert "Вы отписались" in done


@pytest.mark.parametrize("body", [{"List-Unsubscribe": "One-Click"}, {}])
def test_the_one_click_post_or_the_pages_button_marks_the_client_once(client, owner, body):
    # given
    ann = ClientFactory(owner=owner, email="ann@example.org")
    url = f"/unsubscribe/{unsubscribe_token(ann.pk)}/"

    # when
    first = client.post(url, body)
    marked_at = Client.objects.get(pk=ann.pk).unsubscribed_at
    again = client.post(url, body)
    page_after = client.get(url)

    # then
    assert (first.status_code, again.status_code, page_after.status_code) == (200, 200, 200)
    assert b"You are unsubscribed" in first.content
    assert b"<strong>ann@example.org</strong> will get no more mailings" in first.content
    assert b"You are unsubscribed" in page_after.content
    assert b"<button" not in page_after.content
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
    shown = client.get(f"/unsubscribe/{forged}/")
    posted = client.post(f"/unsubscribe/{forged}/", {"List-Unsubscribe": "One-Click"})

    # then
    assert (shown.status_code, posted.status_code) == (404, 404)
    assert b"This link is not valid" in shown.content
    assert b"This link is not valid" in posted.content
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
