"""Fill a database with 1,000 owners' worth of data, in bulk: 100,000 clients, 2,000 mailings,
10,000 runs and 1,000,000 delivery rows.

    DATABASE_URL=postgres://... .venv/bin/python bench/seed_scale.py

Runs on a throw-away test database (the configured one is untouched), prints how long each
step took, and drops the database again. `bench/api_latency.py` seeds through `seed()` here.

PostgreSQL only: the rows are made by the server itself (INSERT ... SELECT generate_series), and
the read path it measures is the production one. On SQLite the script says so and stops.

The shape: each owner has 100 clients and 2 daily mailings to all of them; every run has a row
per client. Owner 0's first mailing (the "heavy" one) has 1,000 runs, so 100,000 rows, about
90,000 of them SENT: a delivery log deep enough that offset pagination would show. The other
mailings have 4 or 5 runs each. Runs are inserted in time order, so the heavy mailing's rows are
spread over the whole id range, as they would be after three years of daily sending. Every run
is FINISHED, with its counts taken as the engine takes them, but the heavy mailing's newest,
which is still RUNNING. In a finished run one row in twenty failed, one was skipped and the rest
were sent; in the running one a third are still queued, and some deferred.
"""

import sys
import time
from dataclasses import dataclass

from _django import test_database

OWNERS = 1_000
CLIENTS_PER_OWNER = 100
MAILINGS_PER_OWNER = 2
HEAVY_RUNS = 1_000
OWNER_EMAIL = "scale-owner-{n}@example.com"
MANAGER_EMAIL = "scale-manager@example.com"


@dataclass(frozen=True)
class Seeded:
    owner_id: int  # owner 0: the heavy mailing's owner
    manager_id: int  # sees every mailing
    heavy_mailing_id: int
    clients: int
    mailings: int
    runs: int
    attempts: int
    seconds: float


# The runs of a mailing, by its ordinal o among all mailings: 1,000 for the heavy one, then
# 5 for the next 1,004 and 4 for the rest, which makes 10,000 runs and 1,000,000 rows.
_STEPS = [
    (
        "clients",
        """
        INSERT INTO mailing_client (owner_id, email, full_name, comment, created_at, updated_at)
        SELECT u.id, 'client' || i || '@owner' || u.n || '.example.org', 'Client ' || i || ' of ' || u.n, '',
               %(now)s - (u.n * 100 + i) * interval '1 second', %(now)s
        FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM accounts_user
              WHERE email LIKE 'scale-owner-%%') u,
             generate_series(0, %(clients)s - 1) i
        ORDER BY u.n, i
        """,
    ),
    (
        "messages",
        """
        INSERT INTO mailing_message (owner_id, subject, body, html_body, created_at, updated_at)
        SELECT u.id, 'Newsletter ' || k || ' of ' || u.n, 'Hello {{ full_name }}, here is our news.', '',
               %(now)s - (u.n * 2 + k) * interval '1 minute', %(now)s
        FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM accounts_user
              WHERE email LIKE 'scale-owner-%%') u,
             generate_series(0, %(mailings)s - 1) k
        ORDER BY u.n, k
        """,
    ),
    (
        "mailings",
        """
        INSERT INTO mailing_mailing (owner_id, message_id, start_at, end_at, periodicity, status, is_active,
                                     next_run_at, time_zone, created_at, updated_at)
        SELECT m.owner_id, m.id, %(now)s - interval '1100 days', %(now)s + interval '365 days', 'DAILY',
               'STARTED', true, %(now)s + interval '1 day', u.time_zone, m.created_at, %(now)s
        FROM mailing_message m JOIN accounts_user u ON u.id = m.owner_id
        WHERE u.email LIKE 'scale-owner-%%'
        ORDER BY m.id
        """,
    ),
    (
        "recipients",
        """
        INSERT INTO mailing_mailing_clients (mailing_id, client_id)
        SELECT m.id, c.id FROM mailing_mailing m JOIN mailing_client c ON c.owner_id = m.owner_id
        ORDER BY m.id, c.id
        """,
    ),
    (
        "runs",
        """
        INSERT INTO mailing_mailingrun (mailing_id, scheduled_for, trigger, status, started_at, finished_at,
                                        claimed_by, consecutive_failures, pauses, last_error, created_at,
                                        updated_at)
        SELECT m.id, s.at, 'SCHEDULE', CASE WHEN s.open THEN 'RUNNING' ELSE 'FINISHED' END, s.at,
               CASE WHEN s.open THEN NULL ELSE s.at + interval '10 minutes' END, '', 0, 0, '', s.at, s.at
        FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS o FROM mailing_mailing) m,
             LATERAL (SELECT CASE WHEN m.o = 0 THEN %(heavy)s WHEN m.o <= 1004 THEN 5 ELSE 4 END AS n) c,
             LATERAL (SELECT date_trunc('day', %(now)s) - j * interval '1 day' + m.o * interval '1 second' AS at,
                             m.o = 0 AND j = 1 AS open
                      FROM generate_series(1, c.n) j) s
        ORDER BY s.at, m.id
        """,
    ),
    (
        "delivery rows",
        """
        INSERT INTO mailing_deliveryattempt (run_id, mailing_id, client_id, email, full_name, status, attempts,
                                             last_attempt_at, smtp_code, server_response, lease_token, message_id,
                                             created_at, updated_at)
        SELECT r.id, r.mailing_id, c.id, c.email, c.full_name, x.status,
               CASE WHEN x.status IN ('SKIPPED', 'QUEUED') THEN 0 ELSE 1 END,
               CASE WHEN x.status IN ('SKIPPED', 'QUEUED') THEN NULL ELSE r.started_at END,
               CASE x.status WHEN 'SENT' THEN 250 WHEN 'FAILED' THEN 550 WHEN 'DEFERRED' THEN 451 END,
               CASE x.status WHEN 'SENT' THEN '250 2.0.0 Ok: queued as ' || upper(to_hex(r.id * 1000 + c.id))
                             WHEN 'FAILED' THEN '550 5.1.1 User unknown'
                             WHEN 'DEFERRED' THEN '451 4.7.1 Try again later'
                             WHEN 'SKIPPED' THEN 'Unsubscribed.' ELSE '' END,
               '',
               CASE WHEN x.status = 'SENT' THEN '<' || r.id || '.' || c.id || '@mailing.example>' ELSE '' END,
               r.scheduled_for, coalesce(r.finished_at, r.started_at)
        FROM mailing_mailingrun r
        JOIN mailing_mailing_clients mc ON mc.mailing_id = r.mailing_id
        JOIN mailing_client c ON c.id = mc.client_id,
        LATERAL (SELECT CASE WHEN r.status = 'FINISHED' THEN
                                  CASE (c.id * 7 + r.id) %% 20 WHEN 0 THEN 'FAILED' WHEN 1 THEN 'SKIPPED'
                                       ELSE 'SENT' END
                             ELSE CASE (c.id * 7 + r.id) %% 3 WHEN 0 THEN 'QUEUED'
                                       ELSE CASE c.id %% 10 WHEN 0 THEN 'DEFERRED' ELSE 'SENT' END END
                        END AS status) x
        ORDER BY r.id, c.id
        """,
    ),
    (
        "run counts",
        # What the engine's `states.move_runs` takes as a run closes.
        """
        UPDATE mailing_mailingrun r
        SET total_count = n.total, sent_count = n.sent, failed_count = n.failed, skipped_count = n.skipped
        FROM (SELECT run_id, count(*) AS total, count(*) FILTER (WHERE status = 'SENT') AS sent,
                     count(*) FILTER (WHERE status = 'FAILED') AS failed,
                     count(*) FILTER (WHERE status = 'SKIPPED') AS skipped
              FROM mailing_deliveryattempt GROUP BY run_id) n
        WHERE n.run_id = r.id AND r.status = 'FINISHED'
        """,
    ),
]


def seed(connection, *, out=print) -> Seeded:
    """Seed the (empty) database behind `connection`; PostgreSQL only."""
    if connection.vendor != "postgresql":
        raise SystemExit(f"The scale benches need PostgreSQL (DATABASE_URL); this database is {connection.vendor}.")
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.models import MANAGERS_GROUP, User
    from mailing.models import Client, DeliveryAttempt, Mailing, MailingRun

    started = time.perf_counter()
    now = timezone.now()
    User.objects.bulk_create(
        User(email=OWNER_EMAIL.format(n=n), password="!", full_name=f"Owner {n}", email_verified_at=now)
        for n in range(OWNERS)
    )
    manager = User.objects.create_user(
        email=MANAGER_EMAIL, password="!", full_name="Scale Manager", email_verified_at=now
    )
    manager.groups.add(Group.objects.get_or_create(name=MANAGERS_GROUP)[0])
    params = {"now": now, "clients": CLIENTS_PER_OWNER, "mailings": MAILINGS_PER_OWNER, "heavy": HEAVY_RUNS}
    with connection.cursor() as cursor:
        for name, sql in _STEPS:
            step = time.perf_counter()
            cursor.execute(sql, params)
            out(f"  {name}: {cursor.rowcount:,} rows in {time.perf_counter() - step:.1f} s")
        step = time.perf_counter()
        # Fresh statistics for the planner, and a visibility map for index-only counts.
        cursor.execute("VACUUM ANALYZE")
        out(f"  vacuum analyze: {time.perf_counter() - step:.1f} s")
    owner = User.objects.get(email=OWNER_EMAIL.format(n=0))
    return Seeded(
        owner_id=owner.pk,
        manager_id=manager.pk,
        heavy_mailing_id=Mailing.objects.filter(owner=owner).order_by("id").values_list("id", flat=True).first(),
        clients=Client.objects.count(),
        mailings=Mailing.objects.count(),
        runs=MailingRun.objects.count(),
        attempts=DeliveryAttempt.objects.count(),
        seconds=time.perf_counter() - started,
    )


def main() -> None:
    with test_database() as connection:
        seeded = seed(connection)
        print(
            f"seeded {seeded.clients:,} clients, {seeded.mailings:,} mailings, {seeded.runs:,} runs and "
            f"{seeded.attempts:,} delivery rows for {OWNERS:,} owners in {seeded.seconds:.1f} s ({connection.vendor})"
        )


if __name__ == "__main__":
    sys.exit(main())
