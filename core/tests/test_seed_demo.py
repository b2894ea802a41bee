import io

import pytest
from django.core.management import call_command
from PIL import Image

from accounts.models import User
from blog.models import Post
from core.roles import is_content_manager, is_manager
from mailing.models import Client, Mailing, Message


@pytest.mark.django_db
def test_seed_demo_creates_a_living_service_and_prints_the_logins(client):
    # given
    out = io.StringIO()

    # when
    call_command("seed_demo", "--password", "demo password 2024", stdout=out)

    # then
    printed = out.getvalue()
    for email in ["demo@example.com", "manager@example.com", "editor@example.com"]:
        assert f"{email} / demo password 2024" in printed
    owner = User.objects.get(email="demo@example.com")
    manager = User.objects.get(email="manager@example.com")
    editor = User.objects.get(email="editor@example.com")
    assert (is_manager(owner), is_content_manager(owner), owner.is_staff) == (False, False, False)
    assert (is_manager(manager), manager.is_staff) == (True, True)
    assert (is_content_manager(editor), is_manager(editor), editor.is_staff) == (True, False, True)
    assert Client.objects.filter(owner=owner).count() == 8
    assert Message.objects.filter(owner=owner).count() == 3
    assert sorted(Mailing.objects.values_list("periodicity", flat=True)) == ["DAILY", "MONTHLY", "ONCE", "WEEKLY"]
    posts = list(Post.objects.all())
    assert len(posts) == 4
    for post in posts:
        assert post.is_published
        with Image.open(post.image.path) as image:
            assert (image.format, image.size) == ("JPEG", (1200, 800))
        assert post.thumbnail
    assert client.login(username="editor@example.com", password="demo password 2024")


@pytest.mark.django_db
def test_seed_demo_runs_again_without_duplicates_and_a_new_password():
    # given
    call_command("seed_demo", "--password", "first password 111", stdout=io.StringIO())
    out = io.StringIO()

    # when
    call_command("seed_demo", stdout=out)

    # then
    assert (Mailing.objects.count(), Client.objects.count(), Post.objects.count()) == (4, 8, 4)
    assert "kept the demo owner's mailings; kept the demo posts" in out.getvalue()
    password = out.getvalue().split("demo@example.com / ")[1].split()[0]
    assert User.objects.get(email="demo@example.com").check_password(password)
