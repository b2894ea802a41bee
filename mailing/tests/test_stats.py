import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from mailing.models import Mailing, MailingStatus
from mailing.services import clients as client_services
from mailing.services import mailings as mailing_services
from mailing.stats import HomeStats, home_stats
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory


@pytest.fixture
def counted(db):
    """Hand-counted data: 5 mailings, 2 active, 3 distinct recipient addresses."""
    ann, bea = UserFactory(), UserFactory()
    a1 = ClientFactory(owner=ann, email="ann@x.org")
    a2 = ClientFactory(owner=ann, email="Bob@X.org")
    ClientFactory(owner=ann, email="nobody@x.org")  # in no mailing: not counted
    b1 = ClientFactory(owner=bea, email="ANN@x.org")  # the same address as a1, in other letters
    b2 = ClientFactory(owner=bea, email="carl@x.org")
    MailingFactory(owner=ann, status=MailingStatus.STARTED, clients=[a1, a2])  # active
    MailingFactory(owner=ann, status=MailingStatus.STARTED, is_active=False, clients=[a1])  # disabled
    MailingFactory(owner=ann, status=MailingStatus.CREATED)
    MailingFactory(owner=bea, status=MailingStatus.FINISHED, clients=[b1, b2])
    MailingFactory(owner=bea, status=MailingStatus.STARTED, clients=[b2])  # active
    return {"ann": ann, "a1": a1, "a2": a2, "b1": b1, "b2": b2}


def test_figures_match_the_hand_count(counted, django_assert_app_queries):
    # when
    with django_assert_app_queries(3):
        stats = home_stats()

    # then
    assert stats == HomeStats(mailings_total=5, mailings_active=2, unique_clients=3)


def test_figures_come_from_the_cache_while_it_holds(counted, django_assert_app_queries):
    # given
    home_stats()
    Mailing.objects.all().delete()  # behind the services' back: nothing invalidates

    # when
    with django_assert_app_queries(0):
        stats = home_stats()

    # then
    assert stats == HomeStats(mailings_total=5, mailings_active=2, unique_clients=3)


@pytest.mark.django_db
def test_figures_of_an_empty_service():
    # when
    stats = home_stats()

    # then
    assert stats == HomeStats(mailings_total=0, mailings_active=0, unique_clients=0)


def test_creating_a_mailing_refreshes_the_figures(counted, django_capture_on_commit_callbacks):
    # given
    home_stats()
    ann = counted["ann"]
    newcomer = ClientFactory(owner=ann, email="dora@x.org")
    start = timezone.now() + timedelta(days=1)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        mailing_services.mailing_create(
            owner=ann,
            message_id=MessageFactory(owner=ann).pk,
            client_ids=[newcomer.pk, counted["a1"].pk],
            start_at=start,
            end_at=start + timedelta(days=1),
            periodicity="ONCE",
        )

    # then
    assert home_stats() == HomeStats(mailings_total=6, mailings_active=2, unique_clients=4)


def test_the_cache_is_dropped_only_when_the_change_commits(counted, django_capture_on_commit_callbacks):
    # given
    home_stats()
    mailing = Mailing.objects.filter(owner=counted["ann"]).first()

    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mailing_services.mailing_delete(mailing=mailing)

    # then: before the commit, readers still get the committed figures
    assert home_stats().mailings_total == 5
    for callback in callbacks:
        callback()
    assert home_stats().mailings_total == 4


def test_updating_and_deleting_mailings_refresh_the_figures(counted, django_capture_on_commit_callbacks):
    # given
    home_stats()
    mailing = Mailing.objects.get(owner=counted["ann"], clients=counted["a2"])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        mailing_services.mailing_update(mailing=mailing, data={"client_ids": [counted["a1"].pk]})

    # then: bob@x.org was only in that mailing
    assert home_stats() == HomeStats(mailings_total=5, mailings_active=2, unique_clients=2)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        mailing_services.mailing_delete(mailing=mailing)

    # then
    assert home_stats() == HomeStats(mailings_total=4, mailings_active=1, unique_clients=2)


def test_deleting_or_renaming_a_recipient_refreshes_the_figures(counted, django_capture_on_commit_callbacks):
    # given
    home_stats()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        client_services.client_delete(client=counted["b2"])

    # then: carl@x.org is gone
    assert home_stats().unique_clients == 2

    # when
    with django_capture_on_commit_callbacks(execute=True):
        client_services.client_update(client=counted["b1"], data={"email": "erin@x.org"})

    # then: ann@x.org is still a1's, and erin@x.org is new
    assert home_stats() == HomeStats(mailings_total=5, mailings_active=2, unique_clients=3)


def test_cached_figures_expire_after_the_configured_time(counted, settings):
    # given
    settings.HOME_STATS_TTL = 1
    home_stats()
    Mailing.objects.filter(status=MailingStatus.FINISHED).delete()  # nothing invalidates

    # when
    time.sleep(1.2)
    stats = home_stats()

    # then
    assert stats.mailings_total == 4
