from typing import NewType

import strawberry
from graphql import EnumValueNode, StringValueNode

from mailing.models import Periodicity

PeriodicityValue = NewType("PeriodicityValue", str)


def _parse_literal(node, _variables=None):
    # Accept both `DAILY` and `"DAILY"` so that an unknown value reaches the service and comes
    # back as a field error, instead of failing the whole request in validation.
    if isinstance(node, (EnumValueNode, StringValueNode)):
        return node.value
    raise ValueError("periodicity must be one of " + ", ".join(Periodicity.values))


SCALARS = {
    PeriodicityValue: strawberry.scalar(
        name="PeriodicityValue",
        description="A periodicity given as input: one of " + ", ".join(Periodicity.values) + " (name or string).",
        serialize=str,
        parse_value=str,
        parse_literal=_parse_literal,
    )
}
