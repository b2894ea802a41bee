"""Who may hold a session: checked on every request, not only at login."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory

ME = {"query": "{ me { email } }"}


def me(client):
    return client.post("/graphql/", ME, content_type="application/json").json()["data"]["me"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [{"email_verified_at": None}, {"blocked_at": timezone.now()}, {"is_active": False}],
    ids=["unverified", "blocked", "deactivated"],
)
def test_an_open_session_stops_working_at_the_next_request(client, owner, change):
    # given
    client.force_login(owner)
    assert me(client) == {"email": "owner@example.com"}

    # when
    User.objects.filter(pk=owner.pk).update(**change)

    # then
    assert me(client) is None


@pytest.mark.django_db
def test_sessions_from_before_a_revocation_stay_void_after_it_is_lifted(client, owner):
    # given
    client.force_login(owner)
    User.objects.filter(pk=owner.pk).update(blocked_at=timezone.now(), sessions_revoked_at=timezone.now())

    # when: unblocked
    User.objects.filter(pk=owner.pk).update(blocked_at=None)

    # then
    assert me(client) is None
    client.force_login(User.objects.get(pk=owner.pk))
    assert me(client) == {"email": "owner@example.com"}


@pytest.mark.django_db
def test_create_user_makes_an_unverified_user_and_create_superuser_a_verified_one():
    # when
    user = User.objects.create_user(email="ann@example.com", password="a strong password 42")
    root = User.objects.create_superuser(email="root@example.com", password="a strong password 42")

    # then
    assert (user.is_verified, user.can_log_in) == (False, False)
    assert (root.is_verified, root.can_log_in, root.is_manager) == (True, True, True)


@pytest.mark.django_db
def test_users_who_predate_verification_are_verified_by_the_migration():
    # given: accounts made before e-mail verification existed
    old = UserFactory(email_verified_at=None)
    verified_at = timezone.now()
    recent = UserFactory(email_verified_at=verified_at)
    migration = importlib.import_module("accounts.migrations.0005_verify_existing_users")

    # when
    migration.verify_existing(apps, None)

    # then
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.email_verified_at, recent.email_verified_at) == (old.date_joined, verified_at)
