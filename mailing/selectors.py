"""Reads, always through the viewer: a row the viewer may not see is indistinguishable from a
missing one.

Two scopes. *Visible* rows (`*_list`, `mailing_get`) are what a viewer may read: their own, and
for a manager every mailing and the message it sends (never another owner's clients, nor a
message no mailing sends). *Owned* rows (`*_owned_list`, `*_get_owned`) are the only ones any
write may find: the viewer's own, whatever their role.
"""

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from mailing.models import Client, DeliveryAttempt, DeliveryStatus, Mailing, MailingRun, MailingStatus, Message

# "Active" is defined once: started by the engine and not disabled.
ACTIVE_MAILING = Q(status=MailingStatus.STARTED, is_active=True)


def _authenticated(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated


def _is_manager(viewer) -> bool:
    return _authenticated(viewer) and viewer.is_manager


def _owned(queryset: QuerySet, viewer) -> QuerySet:
    if not _authenticated(viewer):
        return queryset.none()
    return queryset.filter(owner_id=viewer.pk)


# Visible: what a viewer may read.


def client_list(*, viewer, base: QuerySet[Client] | None = None) -> QuerySet[Client]:
    """The viewer's clients: a client list is its owner's alone, managers included."""
    return _owned(Client.objects.all() if base is None else base, viewer)


def message_list(*, viewer, base: QuerySet[Message] | None = None) -> QuerySet[Message]:
    """The viewer's messages; for a manager also every message that a mailing sends."""
    queryset = Message.objects.all() if base is None else base
    if _is_manager(viewer):
        return queryset.filter(Q(owner_id=viewer.pk) | Exists(Mailing.objects.filter(message_id=OuterRef("pk"))))
    return _owned(queryset, viewer)


def mailing_list(*, viewer, base: QuerySet[Mailing] | None = None) -> QuerySet[Mailing]:
    """The viewer's mailings; for a manager every mailing."""
    queryset = Mailing.objects.all() if base is None else base
    if _is_manager(viewer):
        return queryset
    return _owned(queryset, viewer)


# Owned: the only rows a write may find.


def client_owned_list(*, viewer, base: QuerySet[Client] | None = None) -> QuerySet[Client]:
    return _owned(Client.objects.all() if base is None else base, viewer)


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
    return _get(client_owned_list(viewer=viewer), pk)


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
    if not _authenticated(viewer):
        return queryset.none()
    return queryset.filter(mailing__owner_id=viewer.pk)


def delivery_attempt_list(*, viewer, base: QuerySet[DeliveryAttempt] | None = None) -> QuerySet[DeliveryAttempt]:
    queryset = DeliveryAttempt.objects.all() if base is None else base
    if not _authenticated(viewer):
        return queryset.none()
    return queryset.filter(run__mailing__owner_id=viewer.pk)


def delivery_log(*, viewer) -> QuerySet[DeliveryAttempt]:
    """The viewer's delivery log: newest run first, a run's rows newest first.

    A run's rows are inserted together when it is created, so this is the order of creation; and
    unlike `-id` alone it follows the indexes from a mailing to its runs and from a run to its
    rows, so that a page of one mailing's log reads that page, however sparse the mailing's rows
    are among everyone's (keyset pagination compares the (run, id) pair).
    """
    # The run as an expression, not the foreign key's column: strawberry-django's cursor reads an
    # ordering column by its output field's name, which for a foreign key is the target's "id",
    # and would compare the row's id where the run's is meant.
    run = ExpressionWrapper(F("run_id"), output_field=BigIntegerField())
    return delivery_attempt_list(viewer=viewer).order_by(run.desc(), "-id")


def run_get(*, viewer, pk) -> MailingRun | None:
    return _get(run_list(viewer=viewer), pk)


# A mailing's delivery counts, as annotations: a correlated COUNT each, so that a page of
# mailings counts the rows of that page's mailings only (through the run and the (run, status)
# index), where a JOIN and GROUP BY would aggregate every row of every mailing before the LIMIT.
def _attempt_count(*statuses: str):
    rows = DeliveryAttempt.objects.filter(run__mailing_id=OuterRef("pk"))
    if statuses:
        rows = rows.filter(status__in=statuses)
    rows = rows.order_by().values("run__mailing_id").annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


MAILING_STATS = {
    "stats_total": _attempt_count(),
    "stats_sent": _attempt_count(DeliveryStatus.SENT),
    "stats_deferred": _attempt_count(DeliveryStatus.DEFERRED),
    "stats_failed": _attempt_count(DeliveryStatus.FAILED),
    "stats_skipped": _attempt_count(DeliveryStatus.SKIPPED),
    "stats_pending": _attempt_count(DeliveryStatus.QUEUED, DeliveryStatus.SENDING),
}


def mailing_stats(*, mailing: Mailing) -> dict[str, int]:
    """The counts of one mailing, when they were not annotated on it already."""
    if all(hasattr(mailing, name) for name in MAILING_STATS):
        values = {name: getattr(mailing, name) for name in MAILING_STATS}
    else:
        values = Mailing.objects.filter(pk=mailing.pk).values(**MAILING_STATS).get()
    return {name.removeprefix("stats_"): value or 0 for name, value in values.items()}


def _owner_count(model, *conditions: Q):
    rows = (
        model.objects.filter(*conditions, owner_id=OuterRef("pk"))
        .order_by()
        .values("owner_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def owner_counts() -> dict:
    """Per-user counts of what they own, as expressions to annotate users with (one query a page)."""
    return {
        "client_count": _owner_count(Client),
        "message_count": _owner_count(Message),
        "mailing_count": _owner_count(Mailing),
        "active_mailing_count": _owner_count(Mailing, ACTIVE_MAILING),
    }


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
