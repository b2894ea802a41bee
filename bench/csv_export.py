"""The delivery log's CSV export streams with flat memory: 10,000 rows against 100,000.

    [DATABASE_URL=postgres://...] .venv/bin/python bench/csv_export.py [SMALL LARGE]

On a throw-away test database (SQLite, or PostgreSQL with DATABASE_URL) it makes one mailing
with SMALL rows (10,000) and one with LARGE (100,000), then downloads each log through the
whole stack (Django's test Client: middleware, the session, `mailing.views.mailing_log_csv`),
reading the streamed response chunk by chunk as a server would send it. For each it prints the
rows and bytes received, the time, Python's peak allocation while it streamed (tracemalloc) and
how far the process's resident memory rose above where it was when the download began.

Goal: flat memory, i.e. the peaks of the large export no more than twice the small one's
(ten times the rows), and a few MB at most.
"""

import gc
import sys
import time
import tracemalloc
from pathlib import Path

from _django import test_database

GOAL_RATIO = 2


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def make_log(owner, rows: int, label: str):
    """A mailing with `rows` delivery rows over 10 runs (its clients are not needed by the log)."""
    from datetime import timedelta

    from django.utils import timezone

    from mailing.models import DeliveryAttempt, DeliveryStatus, Mailing, MailingRun, Message

    now = timezone.now()
    message = Message.objects.create(owner=owner, subject=f"Log {label}", body="Hello")
    mailing = Mailing.objects.create(
        owner=owner, message=message, start_at=now - timedelta(days=20), end_at=now + timedelta(days=20)
    )
    per_run = rows // 10
    for n in range(10):
        at = now - timedelta(days=10 - n)
        run = MailingRun.objects.create(mailing=mailing, scheduled_for=at, status="RUNNING", started_at=at)
        DeliveryAttempt.objects.bulk_create(
            (
                DeliveryAttempt(
                    run=run,
                    mailing=mailing,
                    email=f"r{n}-{i}@example.org",
                    full_name=f"Recipient {i}",
                    status=DeliveryStatus.SENT,
                    attempts=1,
                    last_attempt_at=at,
                    smtp_code=250,
                    server_response=f"250 2.0.0 Ok: queued as {n:02d}{i:06d}",
                    message_id=f"<{n}.{i}@mailing.example>",
                )
                for i in range(per_run)
            ),
            batch_size=5000,
        )
    return mailing


def download(browser, mailing) -> dict:
    from graphql_schema.tests.helpers import gid

    gc.collect()
    rss_before = rss_kib()
    rss_peak = rss_before
    tracemalloc.start()
    started = time.perf_counter()
    response = browser.get(f"/app/mailings/{gid('Mailing', mailing.pk)}/log.csv")
    assert response.status_code == 200, response.status_code
    assert response.streaming, "the export is not a streamed response"
    size = lines = 0
    for chunks, chunk in enumerate(response.streaming_content, 1):
        size += len(chunk)
        lines += chunk.count(b"\n")
        if chunks % 1000 == 0:
            rss_peak = max(rss_peak, rss_kib())
    seconds = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = max(rss_peak, rss_kib())
    return {
        "rows": lines - 1,  # the header
        "bytes": size,
        "seconds": seconds,
        "traced_peak_kib": traced_peak / 1024,
        "rss_rise_kib": rss_peak - rss_before,
    }


def main(small: int, large: int) -> None:
    with test_database() as connection:
        from django.test import Client

        from accounts.tests.factories import UserFactory

        print(f"database: {connection.vendor}")
        owner = UserFactory(email="export-owner@example.com")
        started = time.perf_counter()
        mailings = {small: make_log(owner, small, "small"), large: make_log(owner, large, "large")}
        print(f"seed: {small + large:,} rows in {time.perf_counter() - started:.1f} s")
        browser = Client()
        browser.force_login(owner)
        download(browser, mailings[small])  # warm: imports, the session, the planner

        print(f"\n{'rows':>8} {'MB sent':>8} {'s':>6} {'tracemalloc peak':>17} {'RSS rise':>9}")
        results = {}
        for rows, mailing in mailings.items():
            result = download(browser, mailing)
            assert result["rows"] == rows, (result["rows"], rows)
            results[rows] = result
            print(
                f"{rows:8,} {result['bytes'] / 1e6:8.1f} {result['seconds']:6.1f} "
                f"{result['traced_peak_kib']:13,.0f} KiB {result['rss_rise_kib']:5,} KiB"
            )
        ratio = results[large]["traced_peak_kib"] / results[small]["traced_peak_kib"]
        verdict = "flat" if ratio <= GOAL_RATIO else "GROWS"
        print(
            f"\ntracemalloc peak, {large:,} rows against {small:,}: {ratio:.2f}x ({verdict}; goal <= {GOAL_RATIO}x "
            f"for {large // small}x the rows)"
        )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*(args or [10_000, 100_000]))
