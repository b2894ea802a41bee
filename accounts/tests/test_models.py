import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command

User = get_user_model()


@pytest.mark.django_db
def test_create_user_logs_in_by_email_stored_lower_case():
    # when
    user = User.objects.create_user(email=" Ann@Example.COM ", password="correct horse battery", full_name="Ann")

    # then
    assert user.email == "ann@example.com"
    assert user.check_password("correct horse battery")
    assert (user.is_staff, user.is_superuser) == (False, False)
    assert User.objects.get_by_natural_key("ANN@example.com") == user


@pytest.mark.django_db
def test_email_is_unique_case_insensitively():
    # given
    User.objects.create_user(email="ann@example.com", password="x")

    # when / then
    with pytest.raises(ValidationError) as raised:
        User.objects.create_user(email="ANN@example.com", password="y")
    assert raised.value.message_dict == {"email": ["User with this E-mail address already exists."]}
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_createsuperuser_command_works_without_a_username(monkeypatch):
    # given
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a strong password 42")

    # when
    call_command("createsuperuser", "--noinput", "--email", "root@example.com", verbosity=0)

    # then
    user = User.objects.get()
    assert (user.email, user.is_staff, user.is_superuser) == ("root@example.com", True, True)
    assert user.check_password("a strong password 42")


@pytest.mark.django_db
def test_role_groups_exist_after_migrate():
    assert sorted(Group.objects.values_list("name", flat=True)) == ["Content managers", "Managers"]
