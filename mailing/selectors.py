"""Reads, always through the viewer: a row the viewer may not see is indistinguishable from a
missing one.

Two scopes. *Visible* rows (`*_list`, `mailing_get`) are what a viewer may read: their own, and
for a manager every mailing and the message it sends (never another owner's clients, nor a
message no mailing sends). *Owned* rows (`*_owned_list`, `*_get_owned`) are the only ones any
write may find: the viewer's own, whatever their role. Clients are their owner's alone in both
scopes, so `client_list` serves both.
"""

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, JSONObject, TruncDate
from django.utils import timezone

from core import roles, zones
from mailing import scheduling
from mailing.models import (
    CLOSED_RUN,
    OPEN_RUN,
    BounceEvent,
    BounceKind,
    Client,
    DeliveryAttempt,
    DeliveryStatus,
    Mailing,
    MailingRun,
    MailingStatus,
    Message,
)

# "Active" is defined once: started by the engine and not disabled.
ACTIVE_MAILING = Q(status=MailingStatus.STARTED, is_active=True)


def _owned(queryset: QuerySet, viewer) -> QuerySet:
    if not roles.is_signed_in(viewer):
        return queryset.none()
    return queryset.filter(owner_id=viewer.pk)


# Visible: what a viewer may read.


def client_list(*, viewer, base: QuerySet[Client] | None = None) -> QuerySet[Client]:
    """The viewer's clients, to read and to write: a client list is its owner's alone, managers
    included."""
    return _owned(Client.objects.all() if base is None else base, viewer)


def message_list(*, viewer, base: QuerySet[Message] | None = None) -> QuerySet[Message]:
    """The viewer's messages; for a manager also every message that a mailing sends."""
    queryset = Message.objects.all() if base is None else base
    if roles.is_manager(viewer):
        return queryset.filter(Q(owner_id=viewer.pk) | Exists(Mailing.objects.filter(message_id=OuterRef("pk"))))
    return _owned(queryset, viewer)


def mailing_list(*, viewer, base: QuerySet[Mailing] | None = None) -> QuerySet[Mailing]:
    """The viewer's mailings; for a manager every mailing."""
    queryset = Mailing.objects.all() if base is None else base
    if roles.is_manager(viewer):
        return queryset
    return _owned(queryset, viewer)


# Owned: the only rows a write may find.


def message_owned_list(*, viewer, base: QuerySet[Message] | None = None) -> QuerySet[Message]:
    return _owned(Message.objects.all() if base is None else base, viewer)


def mailing_owned_list(*, viewer, base: QuerySet[Mailing] | None = None) -> QuerySet[Mailing]:
    return _owned(Mailing.objects.all() if base is None else base, viewer)


def as_pk(value) -> int | None:
    """A primary key from client input, or None when it cannot be one."""
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk < 2**63 else None


def _get(queryset: QuerySet, pk):
    pk = as_pk(pk)
    return queryset.filter(pk=pk).first() if pk is not None else None


def client_get_owned(*, viewer, pk) -> Client | None:
    return _get(client_list(viewer=viewer), pk)


def message_get_owned(*, viewer, pk) -> Message | None:
    return _get(message_owned_list(viewer=viewer), pk)


def mailing_get_owned(*, viewer, pk) -> Mailing | None:
    return _get(mailing_owned_list(viewer=viewer), pk)


def mailing_get(*, viewer, pk) -> Mailing | None:
    """A mailing the viewer may see: what a manager may disable or enable, besides the owner."""
    return _get(mailing_list(viewer=viewer), pk)


# Runs and their delivery logs name the owner's clients: the owner's alone, managers included.


def run_list(*, viewer, base: QuerySet[MailingRun] | None = None) -> QuerySet[MailingRun]:
    queryset = MailingRun.objects.all() if base is None else base
    if not roles.is_signed_in(viewer):
        return queryset.none()
    return queryset.filter(mailing__owner_id=viewer.pk)


def delivery_attempt_list(*, viewer, base: QuerySet[DeliveryAttempt] | None = None) -> QuerySet[DeliveryAttempt]:
    queryset = DeliveryAttempt.objects.all() if base is None else base
    if not roles.is_signed_in(viewer):
        return queryset.none()
    return queryset.filter(mailing__owner_id=viewer.pk)


def delivery_log(*, viewer) -> QuerySet[DeliveryAttempt]:
    """The viewer's delivery log, newest rows first.

    A run's rows are inserted together when it is created, so this is newest run first and a
    run's rows in reverse order of creation. A page of one mailing's log (of one status or all)
    is one range of the (mailing, status, id) or (mailing, id) index, as fast deep in the log
    as at its start (keyset pagination compares the id).
    """
    return delivery_attempt_list(viewer=viewer).order_by("-id")


EMAIL_SEARCH_MAX = 254


def delivery_email_match(*, value: str, prefix: str = "") -> Q:
    """A delivery log row whose address contains `value` (case-insensitive)."""
    value = value.strip()
    if len(value) > EMAIL_SEARCH_MAX:
        raise ValidationError(
            {
                "email": ValidationError(
                    "Search for at most %(limit)d characters.", code="too_long", params={"limit": EMAIL_SEARCH_MAX}
                )
            }
        )
    return Q(**{f"{prefix}email__icontains": value}) if value else Q()


def delivery_log_export(*, viewer, mailing: Mailing, chunk_size: int = 2000):
    """Every row of `mailing`'s delivery log, oldest first, in chunks of keyset pages (id order),
    through the viewer's log: rows of a mailing the viewer does not own are none."""
    rows = delivery_attempt_list(viewer=viewer).filter(mailing_id=mailing.pk).order_by("id")
    fields = (
        "id", "run_id", "run__scheduled_for", "email", "full_name", "status", "attempts",
        "last_attempt_at", "smtp_code", "server_response", "message_id",
    )  # fmt: skip
    last = 0
    while True:
        page = list(rows.filter(id__gt=last).values_list(*fields)[:chunk_size].iterator(chunk_size=chunk_size))
        if not page:
            return
        yield from page
        last = page[-1][0]


def run_get(*, viewer, pk) -> MailingRun | None:
    return _get(run_list(viewer=viewer), pk)


# A mailing's delivery counts, as annotations. A closed run's counts were taken as it closed
# (`states.move_runs`); an open run's rows are counted (through the (run, status) index). So a
# page of mailings reads a few run rows per mailing, however many delivery rows they have, and
# correlated subqueries keep it to the page's mailings (no GROUP BY of every row).
def run_row_count(*statuses: str):
    """A run's rows in `statuses` (all when none), counted, as an expression over runs."""
    rows = DeliveryAttempt.objects.filter(run_id=OuterRef("pk"))
    if statuses:
        rows = rows.filter(status__in=statuses)
    rows = rows.order_by().values("run_id").annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


_COUNTS = {
    "total": ("total_count",),
    "sent": ("sent_count", DeliveryStatus.SENT),
    "deferred": (None, DeliveryStatus.DEFERRED),
    "failed": ("failed_count", DeliveryStatus.FAILED),
    "skipped": ("skipped_count", DeliveryStatus.SKIPPED),
    "pending": (None, DeliveryStatus.QUEUED, DeliveryStatus.SENDING),
    "bounced": ("bounced_count", DeliveryStatus.BOUNCED),
}


def _complaints(column: str):
    """Complaints (feedback-loop reports) about a mailing's or a run's rows: they come after the
    run closed, so they are always counted (through the (mailing|run, kind) index)."""
    rows = (
        BounceEvent.objects.filter(**{column: OuterRef("pk")}, kind=BounceKind.COMPLAINT)
        .order_by()
        .values(column)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _counted() -> dict:
    """_COUNTS' names as counts of delivery rows by status (filtered COUNTs: one pass over them)."""
    return {
        name: Count("pk", filter=Q(status__in=statuses)) if statuses else Count("pk")
        for name, (_, *statuses) in _COUNTS.items()
    }


def _run_counts():
    """A run's counts as one JSON object of _COUNTS' names: its stored counts once closed, its rows
    counted while open, in one pass over them (one subquery, not one a count: a page of runs was
    as slow to build in Python as its statement was to run)."""
    stored = {name: Value(0) if closed is None else F(closed) for name, (closed, *_) in _COUNTS.items()}
    live = (
        DeliveryAttempt.objects.filter(run_id=OuterRef("pk"))
        .order_by()
        .values("run_id")
        .annotate(counts=JSONObject(**_counted()))
        .values("counts")
    )
    return Case(
        When(status__in=CLOSED_RUN, then=JSONObject(**stored)),
        default=Subquery(live),
        output_field=JSONField(),
    )


def _mailing_counts() -> dict:
    """A mailing's counts as two JSON objects of _COUNTS' names, to be added up: its closed runs'
    stored counts summed (one pass over its runs), and its open runs' rows counted (one pass over
    them, through the (run, status) index)."""
    summed = {name: Sum(closed) for name, (closed, *_) in _COUNTS.items() if closed is not None}
    stored = (
        MailingRun.objects.filter(mailing_id=OuterRef("pk"), status__in=CLOSED_RUN)
        .order_by()
        .values("mailing_id")
        .annotate(counts=JSONObject(**summed))
        .values("counts")
    )
    open_runs = MailingRun.objects.filter(mailing_id=OuterRef(OuterRef("pk")), status__in=OPEN_RUN).values("pk")
    live = (
        DeliveryAttempt.objects.filter(run_id__in=open_runs)
        .order_by()
        .values("mailing_id")
        .annotate(counts=JSONObject(**_counted()))
        .values("counts")
    )
    return {
        "stats_stored": Subquery(stored, output_field=JSONField()),
        "stats_live": Subquery(live, output_field=JSONField()),
    }


MAILING_STATS = _mailing_counts()
MAILING_STATS["stats_complained"] = _complaints("mailing_id")
# The same counts for one run: its stored counts once closed, its rows counted while open.
RUN_STATS = {"stats_counts": _run_counts(), "stats_complained": _complaints("run_id")}


def _stats(row: Mailing | MailingRun, annotations: dict) -> dict[str, int]:
    """The counts `annotations` make, read off the row when its query annotated them, else queried."""
    if all(hasattr(row, name) for name in annotations):
        values = {name: getattr(row, name) for name in annotations}
    else:
        values = type(row).objects.filter(pk=row.pk).values(**annotations).get()
    return {name.removeprefix("stats_"): value or 0 for name, value in values.items()}


def mailing_stats(*, mailing: Mailing) -> dict[str, int]:
    """The counts of one mailing, when they were not annotated on it already."""
    values = _stats(mailing, MAILING_STATS)
    stored, live = values.pop("stored") or {}, values.pop("live") or {}  # none: no such runs
    return {name: (stored.get(name) or 0) + (live.get(name) or 0) for name in _COUNTS} | values


def run_stats(*, run: MailingRun) -> dict[str, int]:
    """The counts of one run, when they were not annotated on it already."""
    values = _stats(run, RUN_STATS)
    counts = values.pop("counts") or {}  # an open run without rows has none to count
    return {name: counts.get(name) or 0 for name in _COUNTS} | values


def run_open_list(*, viewer, first: int) -> QuerySet[MailingRun]:
    """The viewer's `first` newest open runs (pending, running or paused), newest first.

    Still a queryset that can be filtered (the API's get_queryset and optimizer add to it): the
    limit is in a subquery of ids.
    """
    newest = ("-created_at", "-id")
    ids = run_list(viewer=viewer).filter(status__in=OPEN_RUN).order_by(*newest).values("pk")[:first]
    return MailingRun.objects.filter(pk__in=ids).order_by(*newest)


DAILY_COUNT_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.DEFERRED, DeliveryStatus.FAILED)
MAX_DAILY_COUNT_DAYS = 366


def delivery_daily_counts(*, viewer, days: int, mailing_id: int | None = None, now=None) -> list[dict]:
    """Sent, deferred and failed rows of the viewer's own mailings per day of their last attempt.

    One entry per day for the last `days` days up to today in the viewer's time zone, oldest
    first, days with nothing included (zeros). One statement: rows grouped by their day and status.
    """
    zone = zones.zone(viewer.time_zone)
    today = timezone.localtime(now or timezone.now(), zone).date()
    first_day = today - timedelta(days=days - 1)
    since = scheduling.wall_time_to_instant(datetime.combine(first_day, time.min), zone)
    rows = delivery_attempt_list(viewer=viewer).filter(status__in=DAILY_COUNT_STATUSES, last_attempt_at__gte=since)
    if mailing_id is not None:
        rows = rows.filter(mailing_id=mailing_id)
    grouped = (
        rows.order_by()
        .annotate(day=TruncDate("last_attempt_at", tzinfo=zone))
        .values("day", "status")
        .annotate(count=Count("pk"))
        .values_list("day", "status", "count")
    )
    counts = {first_day + timedelta(days=n): dict.fromkeys(("sent", "deferred", "failed"), 0) for n in range(days)}
    for day, status, count in grouped:
        if day in counts:
            counts[day][status.lower()] = count
    return [{"day": day, **values} for day, values in counts.items()]


def _owner_count(model, *conditions: Q):
    rows = (
        model.objects.filter(*conditions, owner_id=OuterRef("pk"))
        .order_by()
        .values("owner_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


_OWNER_COUNTS = {
    "client_count": (Client,),
    "message_count": (Message,),
    "mailing_count": (Mailing,),
    "active_mailing_count": (Mailing, ACTIVE_MAILING),
}


def owner_count(name: str):
    """One per-user count of what they own (a key of owner_counts()), as an expression."""
    return _owner_count(*_OWNER_COUNTS[name])


def owner_counts() -> dict:
    """Per-user counts of what they own, as expressions to annotate users with (one query a page)."""
    return {name: owner_count(name) for name in _OWNER_COUNTS}


def mailing_client_count():
    """The number of a mailing's clients, as an expression to annotate mailings with."""
    rows = (
        Mailing.clients.through.objects.filter(mailing_id=OuterRef("pk"))
        .order_by()
        .values("mailing_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))
