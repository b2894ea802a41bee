import pytest
from django.core.cache import cache

from mailing.models import MailingStatus
from mailing.tests.factories import ClientFactory, MailingFactory

QUERY = "{ homeStats { mailingsTotal mailingsActive uniqueClients } }"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_home_stats_are_public_and_match_the_hand_count(gql, owner, other_owner):
    # given: 3 mailings, 1 active; addresses a@x.org (twice, two owners) and b@x.org
    a = ClientFactory(owner=owner, email="a@x.org")
    b = ClientFactory(owner=owner, email="b@x.org")
    a_again = ClientFactory(owner=other_owner, email="A@x.org")
    MailingFactory(owner=owner, status=MailingStatus.STARTED, clients=[a, b])
    MailingFactory(owner=owner, status=MailingStatus.FINISHED, clients=[a])
    MailingFactory(owner=other_owner, status=MailingStatus.CREATED, clients=[a_again])
    ClientFactory(owner=other_owner, email="c@x.org")  # in no mailing

    # when
    result = gql.query(QUERY)

    # then
    assert result.data == {"homeStats": {"mailingsTotal": 3, "mailingsActive": 1, "uniqueClients": 2}}
