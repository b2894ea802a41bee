from datetime import timedelta

import pytest
from django.utils import timezone

from mailing import queue
from mailing.delivery import runs
from mailing.models import MailingStatus, Periodicity
from mailing.services.mailings import mailing_create, mailing_set_active, mailing_update
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory

pytestmark = pytest.mark.django_db


def create(owner, start, end):
    return mailing_create(
        owner=owner,
        message_id=MessageFactory(owner=owner).pk,
        client_ids=[ClientFactory(owner=owner).pk],
        start_at=start,
        end_at=end,
        periodicity=Periodicity.DAILY,
    )


def test_a_mailing_created_with_its_start_passed_asks_the_cluster_to_run_it_at_once(
    owner, django_capture_on_commit_callbacks
):
    # given
    now = timezone.now()

    # when
    with django_capture_on_commit_callbacks() as callbacks:
        mailing = create(owner, now - timedelta(minutes=5), now + timedelta(days=3))

    # then: the due pass is enqueued; the request itself sends nothing
    assert queue.enqueue_due_pass in callbacks
    assert mailing.next_run_at == now - timedelta(minutes=5)


@pytest.mark.parametrize(
    ("start", "end"), [(timedelta(hours=1), timedelta(days=3)), (-timedelta(days=3), -timedelta(days=1))]
)
def test_a_mailing_not_due_now_enqueues_nothing(owner, django_capture_on_commit_callbacks, start, end):
    # given
    now = timezone.now()

    # when
    with django_capture_on_commit_callbacks() as callbacks:
        create(owner, now + start, now + end)

    # then
    assert queue.enqueue_due_pass not in callbacks


def test_editing_a_started_mailing_moves_its_next_run_to_the_new_schedule(owner, django_capture_on_commit_callbacks):
    # given: a daily mailing that ran today
    now = timezone.now()
    mailing = MailingFactory(
        owner=owner,
        clients=[ClientFactory(owner=owner)],
        start_at=now - timedelta(minutes=1),
        end_at=now + timedelta(days=10),
        periodicity=Periodicity.DAILY,
    )
    runs.run_due_mailings(now=now, enqueue=None)
    mailing.refresh_from_db()
    assert mailing.status == MailingStatus.STARTED

    # when: it moves to an hour ago, so today's new slot is due and has not been sent
    with django_capture_on_commit_callbacks() as callbacks:
        mailing_update(mailing=mailing, data={"start_at": now - timedelta(hours=1)})

    # then
    mailing.refresh_from_db()
    assert mailing.next_run_at == now - timedelta(hours=1)
    assert queue.enqueue_due_pass in callbacks

    # when: it moves back to the slot that was sent
    mailing_update(mailing=mailing, data={"start_at": now - timedelta(minutes=1)})

    # then: the next is tomorrow's
    mailing.refresh_from_db()
    assert mailing.next_run_at == now - timedelta(minutes=1) + timedelta(days=1)


def test_enabling_a_mailing_again_asks_the_cluster_to_resume_it(owner, django_capture_on_commit_callbacks):
    # given
    mailing = MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)], is_active=False)

    # when
    with django_capture_on_commit_callbacks() as enabled:
        mailing_set_active(mailing=mailing, is_active=True, actor=owner)
    with django_capture_on_commit_callbacks() as disabled:
        mailing_set_active(mailing=mailing, is_active=False, actor=owner)

    # then
    assert queue.enqueue_resume in enabled
    assert queue.enqueue_resume not in disabled
