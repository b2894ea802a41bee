"""The one place that writes a delivery's, a run's and a mailing's status.

The allowed transitions are written down once, here, and every statement that writes a status
is here too: the ORM moves, the INSERT that creates a run's rows and the settling of a batch.
Writes filter on the allowed source statuses, so a row that is not where the caller believed is
left alone (and the caller learns it from the count), instead of being moved along an edge that
does not exist. `mailing/tests/test_status_writers.py` fails when code elsewhere writes one.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet

from mailing.models import (
    CLOSED_RUN,
    OPEN_DELIVERY,
    OPEN_RUN,  # noqa: F401 (the engine reads the groups from here)
    Client,
    DeliveryAttempt,
    DeliveryStatus,
    Mailing,
    MailingRun,
    MailingStatus,
    RunStatus,
)
from mailing.selectors import run_row_count
from mailing.stats import home_stats_invalidate

D = DeliveryStatus
# A run's rows are created QUEUED, or SKIPPED when the client has unsubscribed.
DELIVERY_INITIAL = (D.QUEUED, D.SKIPPED)
DELIVERY_TRANSITIONS: dict[str, frozenset[str]] = {
    # A claim marks the row before the SMTP transaction...
    D.QUEUED: frozenset({D.SENDING, D.SKIPPED}),
    D.DEFERRED: frozenset({D.SENDING, D.SKIPPED, D.FAILED}),
    # ...and the transaction settles it. A claim that could not even reach the server (or whose
    # worker was told to stop) is released to QUEUED/DEFERRED, uncounted; an expired lease (a
    # dead worker) lets another claim take it again.
    D.SENDING: frozenset({D.SENT, D.DEFERRED, D.FAILED, D.SKIPPED, D.QUEUED, D.SENDING}),
    D.SENT: frozenset(),
    D.FAILED: frozenset(),
    D.SKIPPED: frozenset(),
}

R = RunStatus
RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    R.PENDING: frozenset({R.RUNNING, R.PAUSED, R.FINISHED, R.CANCELLED}),
    R.RUNNING: frozenset({R.PAUSED, R.FINISHED, R.CANCELLED}),
    # The circuit breaker pauses a run; a worker that reaches the server again resumes it.
    R.PAUSED: frozenset({R.RUNNING, R.FINISHED, R.CANCELLED}),
    R.FINISHED: frozenset(),
    R.CANCELLED: frozenset(),
}

M = MailingStatus
MAILING_TRANSITIONS: dict[str, frozenset[str]] = {
    M.CREATED: frozenset({M.STARTED, M.FINISHED}),
    M.STARTED: frozenset({M.FINISHED}),
    M.FINISHED: frozenset(),
}


class TransitionError(ValueError):
    pass


def sources(transitions: dict[str, frozenset[str]], target: str) -> list[str]:
    """The statuses from which `target` may be reached."""
    return [source for source, targets in transitions.items() if target in targets]


def check(transitions: dict[str, frozenset[str]], source: str, target: str) -> None:
    if target not in transitions[source]:
        raise TransitionError(f"{source} -> {target} is not an allowed transition")


def move_deliveries(queryset: QuerySet, target: str, **fields) -> int:
    """Move the rows of `queryset` that may go to `target`; return how many moved."""
    return queryset.filter(status__in=sources(DELIVERY_TRANSITIONS, target)).update(status=target, **fields)


def move_runs(queryset: QuerySet, target: str, **fields) -> int:
    """Move the runs of `queryset` that may go to `target`; return how many moved.

    A run closes (FINISHED, CANCELLED) only once none of its rows is open, and its counts are
    taken in the same statement: its rows cannot change any more, so the counts stay true.
    """
    queryset = queryset.filter(status__in=sources(RUN_TRANSITIONS, target))
    if target in CLOSED_RUN:
        queryset = queryset.filter(
            ~Exists(DeliveryAttempt.objects.filter(run_id=OuterRef("pk"), status__in=OPEN_DELIVERY))
        )
        fields.update(
            total_count=run_row_count(),
            sent_count=run_row_count(D.SENT),
            failed_count=run_row_count(D.FAILED),
            skipped_count=run_row_count(D.SKIPPED),
        )
    return queryset.update(status=target, **fields)


def move_mailings(queryset: QuerySet, target: str, **fields) -> int:
    moved = queryset.filter(status__in=sources(MAILING_TRANSITIONS, target)).update(status=target, **fields)
    if moved:
        # The home page counts active (started) mailings.
        home_stats_invalidate()
    return moved


# --- The engine's statements ------------------------------------------------------------------

UNSUBSCRIBED = "Not sent: the client has unsubscribed."

_CREATE_DELIVERIES = """
INSERT INTO {attempt} (run_id, mailing_id, client_id, email, full_name, status, attempts, server_response,
                       lease_token, message_id, created_at, updated_at)
SELECT %s, mc.mailing_id, c.id, c.email, c.full_name,
       CASE WHEN c.unsubscribed_at IS NULL THEN %s ELSE %s END, 0,
       CASE WHEN c.unsubscribed_at IS NULL THEN '' ELSE %s END,
       '', '', %s, %s
FROM {client} c JOIN {through} mc ON mc.client_id = c.id
WHERE mc.mailing_id = %s
ON CONFLICT DO NOTHING
"""


def create_deliveries(*, run: MailingRun, now: datetime) -> int:
    """A row for each of the run's recipients, in one statement however many there are (the
    rows never pass through Python); return how many were made."""
    queued, skipped = DELIVERY_INITIAL
    sql = _CREATE_DELIVERIES.format(
        attempt=DeliveryAttempt._meta.db_table,
        client=Client._meta.db_table,
        through=Mailing.clients.through._meta.db_table,
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk, queued, skipped, UNSUBSCRIBED, adapt(now), adapt(now), run.mailing_id])
        return cursor.rowcount


class Settlement(NamedTuple):
    """A claimed row's outcome, as it is written."""

    pk: int
    status: str
    attempts: int
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    smtp_code: int | None
    server_response: str
    message_id: str
    sent_by_cluster: str
    sent_by_worker: str


_SETTLE_PG = """
UPDATE {table} AS d SET status = v.status, attempts = v.attempts, last_attempt_at = v.last_attempt_at,
       next_attempt_at = v.next_attempt_at, smtp_code = v.smtp_code, server_response = v.server_response,
       message_id = v.message_id, sent_by_cluster = v.sent_by_cluster, sent_by_worker = v.sent_by_worker,
       lease_until = NULL, lease_token = '', updated_at = %s
FROM (VALUES {values})
     AS v(id, status, attempts, last_attempt_at, next_attempt_at, smtp_code, server_response, message_id,
          sent_by_cluster, sent_by_worker)
WHERE d.id = v.id AND d.lease_token = %s AND d.status = %s
"""
_SETTLE_PG_ROW = "(%s, %s, %s::smallint, %s::timestamptz, %s::timestamptz, %s::smallint, %s, %s, %s, %s)"
_SETTLE_ONE = """
UPDATE {table} SET status = %s, attempts = %s, last_attempt_at = %s, next_attempt_at = %s, smtp_code = %s,
       server_response = %s, message_id = %s, sent_by_cluster = %s, sent_by_worker = %s, lease_until = NULL,
       lease_token = '', updated_at = %s
WHERE id = %s AND lease_token = %s AND status = %s
"""


def settle_deliveries(*, token: str, settlements: Sequence[Settlement], now: datetime) -> None:
    """Write the outcomes of a claim's rows (SENDING, held by `token`) in one statement
    (PostgreSQL) or one prepared loop (SQLite).

    Only rows still held by the claim are written: a row whose lease ran out and was taken by
    another worker is that worker's to settle.
    """
    if not settlements:
        return
    for settlement in settlements:
        check(DELIVERY_TRANSITIONS, D.SENDING, settlement.status)
    table = DeliveryAttempt._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The rows' values are quoted by the driver; a literal % in them must not be
            # taken for a placeholder of the statement around them.
            values = ",".join(cursor.cursor.mogrify(_SETTLE_PG_ROW, row).decode() for row in settlements)
            cursor.execute(_SETTLE_PG.format(table=table, values=values.replace("%", "%%")), [now, token, D.SENDING])
        else:
            cursor.executemany(
                _SETTLE_ONE.format(table=table),
                [
                    (
                        s.status,
                        s.attempts,
                        adapt(s.last_attempt_at),
                        adapt(s.next_attempt_at),
                        s.smtp_code,
                        s.server_response,
                        s.message_id,
                        s.sent_by_cluster,
                        s.sent_by_worker,
                        adapt(now),
                        s.pk,
                        token,
                        D.SENDING,
                    )
                    for s in settlements
                ],
            )
