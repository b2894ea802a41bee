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
from django.db.models import Exists, F, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce

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
    Suppression,
    SuppressionReason,
)
from mailing.selectors import run_row_count
from mailing.stats import home_stats_invalidate

D = DeliveryStatus
# A run's rows are created QUEUED, or SKIPPED when the client has unsubscribed or the address
# is on the owner's suppression list.
DELIVERY_INITIAL = (D.QUEUED, D.SKIPPED)
DELIVERY_TRANSITIONS: dict[str, frozenset[str]] = {
    # A claim marks the row before the SMTP transaction...
    D.QUEUED: frozenset({D.SENDING, D.SKIPPED}),
    D.DEFERRED: frozenset({D.SENDING, D.SKIPPED, D.FAILED}),
    # ...and the transaction settles it. A claim that could not even reach the server (or whose
    # worker was told to stop) is released to QUEUED/DEFERRED, uncounted; an expired lease (a
    # dead worker) lets another claim take it again.
    # A 5xx reply to RCPT is a hard bounce at once (BOUNCED, not FAILED).
    D.SENDING: frozenset({D.SENT, D.DEFERRED, D.FAILED, D.SKIPPED, D.QUEUED, D.SENDING, D.BOUNCED}),
    # A bounce report (a DSN) can come for a row the relay accepted, days later.
    D.SENT: frozenset({D.BOUNCED}),
    D.FAILED: frozenset(),
    D.SKIPPED: frozenset(),
    D.BOUNCED: frozenset(),
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
            bounced_count=run_row_count(D.BOUNCED),
        )
    return queryset.update(status=target, **fields)


def bounce_deliveries(queryset: QuerySet, **fields) -> int:
    """Move the SENT rows of `queryset` to BOUNCED (a bounce report came); return how many moved.

    A closed run's stored counts move with its rows: one fewer sent, one more bounced.
    """
    with transaction.atomic():
        rows = list(queryset.filter(status=D.SENT).select_for_update().values_list("pk", "run_id", "run__status"))
        if not rows:
            return 0
        moved = queryset.model.objects.filter(pk__in=[pk for pk, _, _ in rows], status=D.SENT).update(
            status=D.BOUNCED, **fields
        )
        for run_id, run_status in {(run_id, run_status) for _, run_id, run_status in rows}:
            if run_status in CLOSED_RUN:
                count = sum(1 for _, each, _ in rows if each == run_id)
                MailingRun.objects.filter(pk=run_id).update(
                    sent_count=F("sent_count") - count, bounced_count=Coalesce(F("bounced_count"), Value(0)) + count
                )
    return moved


def move_mailings(queryset: QuerySet, target: str, **fields) -> int:
    moved = queryset.filter(status__in=sources(MAILING_TRANSITIONS, target)).update(status=target, **fields)
    if moved:
        # The home page counts active (started) mailings.
        home_stats_invalidate()
    return moved


# --- The engine's statements ------------------------------------------------------------------

UNSUBSCRIBED = "Not sent: the client has unsubscribed."
# The reply of a row skipped because its address is suppressed, by the suppression's reason.
SUPPRESSED = {
    SuppressionReason.HARD_BOUNCE: "Not sent: the address is suppressed (it bounced hard).",
    SuppressionReason.SOFT_BOUNCES: "Not sent: the address is suppressed (it bounced softly too often in a row).",
    SuppressionReason.COMPLAINT: "Not sent: the address is suppressed (its owner reported a mail as spam).",
    SuppressionReason.UNSUBSCRIBED: "Not sent: the address is suppressed (it unsubscribed).",
    SuppressionReason.MANUAL: "Not sent: the address is suppressed (added by hand).",
}

# The recipients of a run: each of the mailing's clients (or each failed row of the run retried),
# QUEUED, or SKIPPED with the reason when the client unsubscribed or the owner suppressed the address.
# In client order: the rows' ids follow it, and a run sends in id order, so every database sends
# in the same order (PostgreSQL promises none for a join without ORDER BY; SQLite's hides that).
_INITIAL_ROW = """
INSERT INTO {attempt} (run_id, mailing_id, client_id, email, full_name, status, attempts, server_response,
                       lease_token, message_id, created_at, updated_at)
SELECT %s, m.id, c.id, c.email, c.full_name,
       CASE WHEN c.unsubscribed_at IS NULL AND s.id IS NULL THEN %s ELSE %s END, 0,
       CASE WHEN c.unsubscribed_at IS NOT NULL THEN %s
            WHEN s.id IS NOT NULL THEN CASE s.reason {reasons} ELSE %s END
            ELSE '' END,
       '', '', %s, %s
FROM {client} c JOIN {source} ON {source_client} = c.id
JOIN {mailing} m ON m.id = %s
LEFT JOIN {suppression} s ON s.owner_id = m.owner_id AND s.email_key = c.email_key
WHERE {where}
ORDER BY c.id
ON CONFLICT DO NOTHING
"""


def _insert_rows(*, run: MailingRun, now: datetime, source: str, source_client: str, where: str, params: list) -> int:
    queued, skipped = DELIVERY_INITIAL
    reasons = " ".join("WHEN %s THEN %s" for _ in SUPPRESSED)
    sql = _INITIAL_ROW.format(
        attempt=DeliveryAttempt._meta.db_table,
        client=Client._meta.db_table,
        mailing=Mailing._meta.db_table,
        suppression=Suppression._meta.db_table,
        source=source,
        source_client=source_client,
        reasons=reasons,
        where=where,
    )
    reason_params = [item for pair in SUPPRESSED.items() for item in (str(pair[0]), pair[1])]
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                run.pk,
                queued,
                skipped,
                UNSUBSCRIBED,
                *reason_params,
                SUPPRESSED[SuppressionReason.MANUAL],
                adapt(now),
                adapt(now),
                run.mailing_id,
                *params,
            ],
        )
        return cursor.rowcount


def create_deliveries(*, run: MailingRun, now: datetime) -> int:
    """A row for each of the run's recipients, in one statement however many there are (the
    rows never pass through Python); return how many were made."""
    return _insert_rows(
        run=run,
        now=now,
        source=f"{Mailing.clients.through._meta.db_table} mc",
        source_client="mc.client_id",
        where="mc.mailing_id = %s",
        params=[run.mailing_id],
    )


# The rows a retry sends again: given up, or still waiting when the run closed.
RETRIED = (D.FAILED, D.DEFERRED)


def create_retry_deliveries(*, run: MailingRun, source: MailingRun, now: datetime) -> int:
    """A row in `run` for each FAILED or DEFERRED row of the closed run `source` whose client
    still exists (suppressed addresses SKIPPED, as in any run); return how many were made."""
    return _insert_rows(
        run=run,
        now=now,
        source=f"{DeliveryAttempt._meta.db_table} old",
        source_client="old.client_id",
        where=f"old.run_id = %s AND old.status IN ({', '.join('%s' for _ in RETRIED)})",
        params=[source.pk, *RETRIED],
    )


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
