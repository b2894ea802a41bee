import pytest
from django.core.cache import cache
from strawberry_django.test.client import TestClient

from accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    # Throttle counters (and any cached figure) must not leak from one test into the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def gql() -> TestClient:
    return TestClient("/graphql/")


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.com", full_name="Olga Owner")


@pytest.fixture
def other_owner(db):
    return UserFactory(email="other@example.com", full_name="Oscar Other")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    # Uploaded files of a test go to a throw-away folder, never into the project's media/.
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
