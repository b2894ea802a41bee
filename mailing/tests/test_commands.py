import os
import signal
import smtplib
import subprocess
import sys
import time
from datetime import timedelta
from email.message import EmailMessage
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_q.models import Schedule

from mailing.models import DeliveryAttempt, DeliveryStatus, MailingRun, RunTrigger
from mailing.periodic_tasks import PERIODIC_TASKS as SCHEDULES
from mailing.tests.factories import ClientFactory, MailingFactory
from mailing.tests.smtp_server import free_port

BASE_DIR = Path(__file__).resolve().parents[2]


def call(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_send_mailing_sends_now_with_a_progress_bar_and_a_summary(owner, smtp_server):
    # given
    smtp_server.behaviour.rcpt_replies = {"nobody@example.org": "550 5.1.1 No such user"}
    clients = [ClientFactory(owner=owner, email=f"c{n}@example.org") for n in range(3)]
    clients.append(ClientFactory(owner=owner, email="nobody@example.org"))
    mailing = MailingFactory(owner=owner, clients=clients, start_at=timezone.now() + timedelta(days=1))

    # when
    out, err = call("send_mailing", str(mailing.pk))

    # then
    run = MailingRun.objects.get()
    assert out.split("\n") == [
        f"Mailing {mailing.pk} ({mailing}), run {run.pk}: 4 of 4 recipients to send.",
        f"\r[{'#' * 30}] 4/4",
        "Sent 3, deferred 0, failed 0, bounced 1, skipped 0 (of 4).",
        "",
    ]
    assert err == ""
    assert run.trigger == RunTrigger.MANUAL
    assert sorted(smtp_server.recipients()) == ["c0@example.org", "c1@example.org", "c2@example.org"]


@pytest.mark.django_db
@pytest.mark.parametrize("mailing_id", ["999999", "abc"])
def test_send_mailing_with_an_unknown_id_is_a_clear_error(mailing_id):
    # when
    with pytest.raises(CommandError) as error:
        call("send_mailing", mailing_id)

    # then
    assert str(error.value) == f"Mailing {mailing_id} does not exist."


@pytest.mark.django_db
def test_send_mailing_of_a_disabled_mailing_says_why(owner):
    # given
    mailing = MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)], is_active=False)

    # when
    with pytest.raises(CommandError) as error:
        call("send_mailing", str(mailing.pk))

    # then
    assert str(error.value) == f"Mailing {mailing.pk} cannot be sent now: The mailing is disabled."


@pytest.mark.django_db
def test_send_mailing_when_the_server_is_down_pauses_and_says_so(owner, engine_settings):
    # given
    engine_settings.EMAIL_HOST, engine_settings.EMAIL_PORT = "127.0.0.1", free_port()
    mailing = MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)])

    # when
    out, err = call("send_mailing", str(mailing.pk))

    # then
    assert out.splitlines()[-1] == "Sent 0, deferred 0, failed 0, bounced 0, skipped 0 (of 1)."
    assert err.strip() == (
        "The mail server could not be reached (Connection refused by the mail server.); the run is paused and "
        "resumes by itself while the cluster runs."
    )
    assert DeliveryAttempt.objects.get().status == DeliveryStatus.QUEUED


@pytest.mark.django_db
def test_send_due_starts_due_runs_and_sends_them_here(owner, smtp_server):
    # given
    now = timezone.now()
    MailingFactory(owner=owner, clients=[ClientFactory(owner=owner, email="ann@example.org")], start_at=now)
    MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)], start_at=now + timedelta(hours=1))

    # when
    out, _ = call("send_due")

    # then
    run = MailingRun.objects.get()
    assert out.splitlines() == [
        "1 run(s) started; 0 run(s) with work left; 0 run(s) and 0 mailing(s) finished.",
        f"Run {run.pk}: 1 sent, 0 deferred, 0 failed, 0 skipped (done).",
    ]
    assert smtp_server.recipients() == ["ann@example.org"]


@pytest.mark.django_db
def test_the_schedules_exist_after_migrate_and_setup_schedules_is_idempotent():
    # given: migrate created them; someone broke one
    names = [spec["name"] for spec in SCHEDULES]
    assert Schedule.objects.filter(name__in=names).count() == 3
    Schedule.objects.filter(name=names[0]).update(minutes=30)

    # when
    first, _ = call("setup_schedules")
    second, _ = call("setup_schedules")

    # then
    assert first.splitlines() == [
        "mailing: run due mailings -> mailing.tasks.due_pass every minute: created or repaired",
        "mailing: sweep runs -> mailing.tasks.sweep_runs every minute: already in place",
        "mailing: read bounces -> mailing.bounces.tasks.read_bounce_mailbox every minute: already in place",
    ]
    assert "created or repaired" not in second
    assert sorted(Schedule.objects.values_list("name", "func", "schedule_type", "minutes", "repeats")) == [
        ("mailing: read bounces", "mailing.bounces.tasks.read_bounce_mailbox", "I", 1, -1),
        ("mailing: run due mailings", "mailing.tasks.due_pass", "I", 1, -1),
        ("mailing: sweep runs", "mailing.tasks.sweep_runs", "I", 1, -1),
    ]


def test_the_mail_catcher_keeps_each_message_as_a_file(tmp_path):
    # given
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "mailcatcher", "--port", str(port), "--dir", str(tmp_path)],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "core.settings_test"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "Caught"
        message.set_content("Hello there.\n")

        # when
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            smtp.send_message(message)
        deadline = time.monotonic() + 5
        while not list(tmp_path.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()

    # then
    (path,) = tmp_path.glob("*.eml")
    assert banner == f"Mail catcher on 127.0.0.1:{port}; messages are kept in {tmp_path}/ (Ctrl-C stops it).\n"
    assert b"Subject: Caught\n" in path.read_bytes()
    assert f"b@example.org -> {path}" in output
    assert "Mail catcher stopped." in output
    assert process.returncode == 0


@pytest.mark.django_db
def test_the_mail_catcher_refuses_to_listen_beyond_loopback():
    # when
    with pytest.raises(CommandError) as error:
        call("mailcatcher", "--host", "0.0.0.0")

    # then
    assert str(error.value) == "The mail catcher listens on loopback only, not '0.0.0.0'."
