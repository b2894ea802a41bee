import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Failure, Schedule

from accounts.tests.factories import ContentManagerFactory, ManagerFactory, UserFactory
from mailing.models import Mailing, MailingStatus
from mailing.stats import home_stats
from mailing.tests.factories import ClientFactory, MailingFactory

MANAGER_PAGES = [
    "/admin/accounts/user/",
    "/admin/mailing/client/",
    "/admin/mailing/message/",
    "/admin/mailing/mailing/",
    "/admin/mailing/mailingrun/",
    "/admin/mailing/deliveryattempt/",
    "/admin/django_q/success/",
    "/admin/django_q/failure/",
    "/admin/django_q/schedule/",
]


def _admin_models(html: str) -> list[str]:
    found = re.findall(r'class="(?:viewlink|changelink)" aria-describedby="(\w+)-(\w+)"', html)
    return sorted({f"{app}/{model}" for app, model in found})


@pytest.fixture
def root(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def manager(client, db):
    client.force_login(ManagerFactory())
    return client


@pytest.fixture
def mailing(db):
    owner = UserFactory(email="olga@example.com")
    clients = [ClientFactory(owner=owner), ClientFactory(owner=owner)]
    return MailingFactory(owner=owner, status=MailingStatus.STARTED, clients=clients)


def test_managers_see_users_the_mailing_domain_and_the_task_queue(manager):
    # given: the database queue has an admin page only with the ORM broker
    queue = ["django_q/ormq"] if Conf.ORM else []

    # when
    html = manager.get("/admin/").content.decode()

    # then
    assert _admin_models(html) == sorted(
        [
            "accounts/user",
            "django_q/failure",
            "django_q/schedule",
            "django_q/success",
            "mailing/client",
            "mailing/deliveryattempt",
            "mailing/mailing",
            "mailing/mailingrun",
            "mailing/message",
            *queue,
        ]
    )


def test_managers_read_and_change_nothing(manager, mailing):
    # given
    Schedule.objects.create(name="sweeper", func="math.floor", args="1", next_run=timezone.now())

    # when
    pages = {url: manager.get(url).status_code for url in MANAGER_PAGES}
    change_page = manager.get(f"/admin/mailing/mailing/{mailing.pk}/change/").content.decode()
    post = manager.post(f"/admin/mailing/mailing/{mailing.pk}/change/", {"is_active": ""})

    # then
    assert pages == dict.fromkeys(MANAGER_PAGES, 200)
    assert 'name="is_active"' not in change_page
    assert "Started" in change_page
    assert post.status_code == 403
    assert Mailing.objects.get(pk=mailing.pk).is_active is True
    assert manager.get("/admin/blog/post/").status_code == 403
    assert manager.get(f"/admin/accounts/user/{mailing.owner.pk}/delete/").status_code == 403


def test_staff_without_a_role_see_nothing(client, db):
    # given
    client.force_login(UserFactory(is_staff=True))

    # when
    html = client.get("/admin/").content.decode()

    # then
    assert _admin_models(html) == []
    assert client.get("/admin/mailing/mailing/").status_code == 403


def test_the_mailing_status_is_read_only_and_the_switch_refreshes_the_figures(
    root, mailing, django_capture_on_commit_callbacks
):
    # given
    cache.clear()
    assert home_stats().mailings_active == 1
    page = root.get(f"/admin/mailing/mailing/{mailing.pk}/change/").content.decode()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = root.post(f"/admin/mailing/mailing/{mailing.pk}/change/", {"status": "FINISHED"})

    # then
    assert 'name="is_active"' in page
    assert 'name="status"' not in page
    assert response.status_code == 302
    mailing.refresh_from_db()
    assert (mailing.status, mailing.is_active) == (MailingStatus.STARTED, False)
    assert home_stats().mailings_active == 0
    assert root.get("/admin/mailing/mailing/add/").status_code == 403


def test_deleting_mailings_in_the_admin_refreshes_the_figures(root, mailing, django_capture_on_commit_callbacks):
    # given
    cache.clear()
    assert home_stats().mailings_total == 1

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = root.post(
            "/admin/mailing/mailing/", {"action": "delete_selected", "_selected_action": [mailing.pk], "post": "yes"}
        )

    # then
    assert response.status_code == 302
    assert home_stats().mailings_total == 0


def test_mailing_list_queries_do_not_grow_with_rows(root, mailing):
    # given
    with CaptureQueriesContext(connection) as one:
        root.get("/admin/mailing/mailing/")
    for _ in range(15):
        MailingFactory(owner=mailing.owner, clients=[ClientFactory(owner=mailing.owner)])

    # when
    with CaptureQueriesContext(connection) as many:
        response = root.get("/admin/mailing/mailing/")

    # then
    assert response.content.decode().count('<td class="field-recipient_count">') == 16
    assert len(many) == len(one)


def test_user_list_shows_verification_blocking_and_roles_in_constant_queries(root):
    # given
    UserFactory(email="verified@example.com", email_verified_at=timezone.now())
    UserFactory(email="unverified@example.com", email_verified_at=None)
    UserFactory(email="blocked@example.com", blocked_at=timezone.now(), blocked_reason="spam")
    ContentManagerFactory(email="editor@example.com")
    with CaptureQueriesContext(connection) as few:
        root.get("/admin/accounts/user/")
    for _ in range(10):
        ManagerFactory()

    # when
    with CaptureQueriesContext(connection) as more:
        html = root.get("/admin/accounts/user/").content.decode()
    blocked = root.get("/admin/accounts/user/?blocked=yes").content.decode()
    verified = root.get("/admin/accounts/user/?verified=yes").content.decode()

    # then
    assert len(more) == len(few)
    assert html.count(">Managers</td>") == 10
    assert ">Content managers</td>" in html
    assert re.findall(r'<th class="field-email"><a [^>]*>([^<]+)</a>', blocked) == ["blocked@example.com"]
    verified_emails = re.findall(r'<th class="field-email"><a [^>]*>([^<]+)</a>', verified)
    assert "verified@example.com" in verified_emails
    assert "unverified@example.com" not in verified_emails
    unverified = root.get("/admin/accounts/user/?verified=no").content.decode()
    assert re.findall(r'<th class="field-email"><a [^>]*>([^<]+)</a>', unverified) == ["unverified@example.com"]


def test_role_groups_are_offered_on_the_user_page(root):
    # given
    user = UserFactory()

    # when
    html = root.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()

    # then
    for group in Group.objects.filter(name__in=["Managers", "Content managers"]):
        assert f'<option value="{group.pk}">{group.name}</option>' in html
    assert 'name="blocked_reason"' in html
    assert 'name="email_verified_at_0"' in html


def _failed_task():
    return Failure.objects.create(
        id=uuid.uuid4().hex,
        name="broken-task",
        func="mailing.tasks.run_due",
        started=timezone.now() - timedelta(seconds=5),
        stopped=timezone.now(),
        success=False,
        result="Traceback: boom",
    )


def test_failed_tasks_are_listed_for_managers(manager):
    # given
    _failed_task()

    # when
    html = manager.get("/admin/django_q/failure/").content.decode()

    # then: listed, without django-q's "resubmit" action (a manager changes nothing)
    assert "broken-task" in html
    assert 'name="action"' not in html


def test_superusers_may_resubmit_failed_tasks(root):
    # given
    _failed_task()

    # when
    html = root.get("/admin/django_q/failure/").content.decode()

    # then
    assert '<option value="resubmit_task">' in html
