"""Reads of the bounce domain, through the viewer: the suppression list, and the rates a
mailing's stats derive from its counts."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from core import roles
from mailing.models import Suppression
from mailing.selectors import as_pk

# Above these the big mailbox providers start to filter or refuse a sender's mail: Gmail's
# and Yahoo's guidance keeps complaints under 0.3 % and wants them under 0.1 %.
BOUNCE_RATE_LIMIT = 0.02
COMPLAINT_RATE_LIMIT = 0.001
SEARCH_MAX = 254


def suppression_list(*, viewer, base: QuerySet[Suppression] | None = None) -> QuerySet[Suppression]:
    """The viewer's suppression list (an owner's alone, managers included), newest first."""
    queryset = Suppression.objects.all() if base is None else base
    if not roles.is_signed_in(viewer):
        return queryset.none()
    return queryset.filter(owner_id=viewer.pk)


def suppression_get_owned(*, viewer, pk) -> Suppression | None:
    pk = as_pk(pk)
    return suppression_list(viewer=viewer).filter(pk=pk).first() if pk is not None else None


def suppression_search(*, value: str, prefix: str = "") -> Q:
    """A suppression whose address contains `value` (case-insensitive)."""
    value = value.strip()[:SEARCH_MAX]
    return Q(**{f"{prefix}email__icontains": value}) if value else Q()


@dataclass(frozen=True)
class Warning:
    code: str
    rate: float
    limit: float


@dataclass(frozen=True)
class Rates:
    bounce_rate: float
    complaint_rate: float
    warnings: list[Warning]


def delivery_rates(*, sent: int, bounced: int, complained: int) -> Rates:
    """Bounces and complaints as shares of the messages the mail server accepted (SENT, and
    BOUNCED: accepted first, or refused at RCPT), with a warning for each rate above its limit."""
    delivered = sent + bounced
    bounce_rate = bounced / delivered if delivered else 0.0
    complaint_rate = complained / delivered if delivered else 0.0
    warnings = []
    if bounce_rate > BOUNCE_RATE_LIMIT:
        warnings.append(Warning("bounce_rate_high", bounce_rate, BOUNCE_RATE_LIMIT))
    if complaint_rate > COMPLAINT_RATE_LIMIT:
        warnings.append(Warning("complaint_rate_high", complaint_rate, COMPLAINT_RATE_LIMIT))
    return Rates(bounce_rate=bounce_rate, complaint_rate=complaint_rate, warnings=warnings)
