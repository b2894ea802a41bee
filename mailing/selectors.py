"""Reads, always through the viewer: another owner's row is indistinguishable from a missing one."""

from django.db.models import Count, Q, QuerySet

from mailing.models import Client, DeliveryAttempt, DeliveryStatus, Mailing, MailingRun, MailingStatus, Message

# "Active" is defined once: started by the engine and not disabled.
ACTIVE_MAILING = Q(status=MailingStatus.STARTED, is_active=True)


def _owned(queryset: QuerySet, viewer) -> QuerySet:
    if viewer is None or not viewer.is_authenticated:
        return queryset.none()
    return queryset.filter(owner_id=viewer.pk)


def client_list(*, viewer, base: QuerySet[Client] | None = None) -> QuerySet[Client]:
    return _owned(Client.objects.all() if base is None else base, viewer)


def message_list(*, viewer, base: QuerySet[Message] | None = None) -> QuerySet[Message]:
    return _owned(Message.objects.all() if base is None else base, viewer)


def mailing_list(*, viewer, base: QuerySet[Mailing] | None = None) -> QuerySet[Mailing]:
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


def client_get(*, viewer, pk) -> Client | None:
    return _get(client_list(viewer=viewer), pk)


def message_get(*, viewer, pk) -> Message | None:
    return _get(message_list(viewer=viewer), pk)


def mailing_get(*, viewer, pk) -> Mailing | None:
    return _get(mailing_list(viewer=viewer), pk)


def run_list(*, viewer, base: QuerySet[MailingRun] | None = None) -> QuerySet[MailingRun]:
    queryset = MailingRun.objects.all() if base is None else base
    if viewer is None or not viewer.is_authenticated:
        return queryset.none()
    return queryset.filter(mailing__owner_id=viewer.pk)


def delivery_attempt_list(*, viewer, base: QuerySet[DeliveryAttempt] | None = None) -> QuerySet[DeliveryAttempt]:
    queryset = DeliveryAttempt.objects.all() if base is None else base
    if viewer is None or not viewer.is_authenticated:
        return queryset.none()
    return queryset.filter(run__mailing__owner_id=viewer.pk)


def run_get(*, viewer, pk) -> MailingRun | None:
    return _get(run_list(viewer=viewer), pk)


# A mailing's delivery counts, as annotations: one aggregate in the query that lists mailings.
_ATTEMPT_STATUS = "runs__attempts__status"
MAILING_STATS = {
    "stats_total": Count("runs__attempts"),
    "stats_sent": Count("runs__attempts", filter=Q(**{_ATTEMPT_STATUS: DeliveryStatus.SENT})),
    "stats_deferred": Count("runs__attempts", filter=Q(**{_ATTEMPT_STATUS: DeliveryStatus.DEFERRED})),
    "stats_failed": Count("runs__attempts", filter=Q(**{_ATTEMPT_STATUS: DeliveryStatus.FAILED})),
    "stats_skipped": Count("runs__attempts", filter=Q(**{_ATTEMPT_STATUS: DeliveryStatus.SKIPPED})),
    "stats_pending": Count(
        "runs__attempts", filter=Q(**{f"{_ATTEMPT_STATUS}__in": [DeliveryStatus.QUEUED, DeliveryStatus.SENDING]})
    ),
}


def mailing_stats(*, mailing: Mailing) -> dict[str, int]:
    """The counts of one mailing, when they were not annotated on it already."""
    if all(hasattr(mailing, name) for name in MAILING_STATS):
        values = {name: getattr(mailing, name) for name in MAILING_STATS}
    else:
        values = Mailing.objects.filter(pk=mailing.pk).aggregate(**MAILING_STATS)
    return {name.removeprefix("stats_"): value or 0 for name, value in values.items()}
