import pytest
from django.utils import timezone

from accounts.tests.factories import ManagerFactory, UserFactory
from mailing.models import DeliveryAttempt, MailingRun
from mailing.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(owner):
    client = ClientFactory(owner=owner, email="ann@example.org")
    run = MailingRun.objects.create(mailing=MailingFactory(owner=owner, clients=[client]), scheduled_for=timezone.now())
    return DeliveryAttempt.objects.create(
        run=run, client=client, email=client.email, status="SENT", smtp_code=250, server_response="250 2.0.0 Ok"
    )


@pytest.mark.parametrize("user", [lambda: ManagerFactory(), lambda: UserFactory(is_staff=True, is_superuser=True)])
def test_staff_read_the_delivery_log_and_change_nothing(client, attempt, user):
    # given
    client.force_login(user())
    pages = [
        "/admin/mailing/mailingrun/",
        f"/admin/mailing/mailingrun/{attempt.run_id}/change/",
        "/admin/mailing/deliveryattempt/",
        f"/admin/mailing/deliveryattempt/{attempt.pk}/change/",
    ]

    # when
    answers = [client.get(page) for page in pages]
    change = client.post(f"/admin/mailing/deliveryattempt/{attempt.pk}/change/", {"status": "FAILED"})
    delete = client.post(f"/admin/mailing/deliveryattempt/{attempt.pk}/delete/", {"post": "yes"})

    # then
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]
    assert b"250 2.0.0 Ok" in answers[2].content
    assert (change.status_code, delete.status_code) == (403, 403)
    attempt.refresh_from_db()
    assert attempt.status == "SENT"
