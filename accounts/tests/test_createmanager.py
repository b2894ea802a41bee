from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("createmanager", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_createmanager_grants_the_role_to_an_existing_user(owner):
    # when
    first = run("OWNER@example.com")
    second = run("owner@example.com")

    # then
    assert first == ("owner@example.com now has the Managers role.\n", "")
    assert second == ("owner@example.com already has the Managers role.\n", "")
    user = User.objects.with_roles().get(pk=owner.pk)
    assert (user.is_manager, user.is_content_manager, user.is_staff) == (True, False, False)


@pytest.mark.django_db
def test_createmanager_creates_a_verified_account_with_the_password_from_the_environment(monkeypatch):
    # given
    monkeypatch.setenv("DJANGO_MANAGER_PASSWORD", "a strong password 42")

    # when
    out, _ = run("mia@example.com", "--full-name", "Mia", "--noinput")

    # then
    assert out == "Created the account mia@example.com (verified).\nmia@example.com now has the Managers role.\n"
    user = User.objects.get()
    assert (user.email, user.full_name, user.is_manager, user.can_log_in) == ("mia@example.com", "Mia", True, True)
    assert user.check_password("a strong password 42")


@pytest.mark.django_db
def test_createmanager_grants_the_content_manager_role_with_admin_access(owner):
    # when
    out, _ = run("owner@example.com", "--content-manager")

    # then
    assert out == "owner@example.com now has the Content managers role.\n"
    user = User.objects.get(pk=owner.pk)
    assert (user.is_manager, user.is_content_manager, user.is_staff) == (False, True, True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        (
            "mia@example.com",
            None,
            "mia@example.com has no account: set $DJANGO_MANAGER_PASSWORD to create it without a prompt.",
        ),
        ("mia@example.com", "short", "password: This password is too short. It must contain at least 10 characters."),
        ("not-an-email", "a strong password 42", "email: Enter a valid email address."),
    ],
    ids=["no-password", "weak-password", "bad-email"],
)
def test_createmanager_refuses_bad_input_and_creates_nothing(monkeypatch, email, password, message):
    # given
    if password is None:
        monkeypatch.delenv("DJANGO_MANAGER_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("DJANGO_MANAGER_PASSWORD", password)

    # when / then
    with pytest.raises(CommandError) as raised:
        run(email, "--noinput")
    assert str(raised.value) == message
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_createmanager_warns_about_a_blocked_user():
    # given
    UserFactory(email="bo@example.com", blocked_at="2030-01-01T00:00:00Z", blocked_reason="spam")

    # when
    _, err = run("bo@example.com")

    # then
    assert err == "bo@example.com is blocked: unblock the account to use the role.\n"


@pytest.mark.django_db
def test_a_superuser_grants_the_role_in_the_admin(client, owner):
    # given
    client.force_login(UserFactory(email="root@example.com", is_staff=True, is_superuser=True))
    managers = Group.objects.get(name="Managers")
    joined = timezone.localtime(owner.date_joined)
    form = {
        "email": owner.email,
        "full_name": owner.full_name,
        "is_active": "on",
        "groups": [managers.pk],
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
    }

    # when
    response = client.post(f"/admin/accounts/user/{owner.pk}/change/", form)

    # then
    assert response.status_code == 302
    assert User.objects.with_roles().get(pk=owner.pk).is_manager is True
