from datetime import timedelta

import pytest
from django.utils import timezone

from graphql_schema.tests.helpers import OPERATION_INFO, gid, messages_of, validation
from mailing import states
from mailing.models import (
    BounceEvent,
    DeliveryAttempt,
    DeliveryStatus,
    MailingRun,
    RunStatus,
    RunTrigger,
    Suppression,
    SuppressionReason,
)
from mailing.tests.factories import ClientFactory, MailingFactory

LIST = """
query($filters: SuppressionFilter, $first: Int, $after: String) {
  suppressions(filters: $filters, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { email reason detail delivery { id } } }
  }
}"""
SUPPRESS = f"""
mutation($input: SuppressAddressInput!) {{
  suppressAddress(input: $input) {{ __typename ... on Suppression {{ email reason }} {OPERATION_INFO} }}
}}"""
LIFT = f"""
mutation($input: LiftSuppressionInput!) {{
  liftSuppression(input: $input) {{ __typename ... on Suppression {{ id }} {OPERATION_INFO} }}
}}"""
RETRY = f"""
mutation($id: ID!) {{
  retryFailed(runId: $id) {{ __typename ... on MailingRun {{ trigger status }} {OPERATION_INFO} }}
}}"""
STATS = """
query($id: ID!) { node(id: $id) { ... on Mailing {
  stats { sent bounced complained bounceRate complaintRate warnings { code rate limit } }
} } }"""


def suppress(owner, email, reason=SuppressionReason.MANUAL, **fields) -> Suppression:
    return Suppression.objects.create(owner=owner, email=email, reason=reason, **fields)


@pytest.mark.django_db
def test_suppressions_lists_the_viewers_own_newest_first_with_search_and_pages(
    gql, owner, other_owner, django_assert_max_num_queries
):
    # given
    for n in range(3):
        suppress(owner, f"gone{n}@example.org")
    suppress(owner, "else@example.net", SuppressionReason.COMPLAINT, detail="Feedback-Type: abuse")
    suppress(other_owner, "gone9@example.org")

    # when
    with gql.login(owner):
        with django_assert_max_num_queries(3):
            first = gql.query(LIST, {"first": 2}).data["suppressions"]
        with django_assert_max_num_queries(3):
            searched = gql.query(LIST, {"filters": {"search": " GONE "}}).data["suppressions"]
        complaints = gql.query(LIST, {"filters": {"reason": "COMPLAINT"}}).data["suppressions"]
        second = gql.query(LIST, {"first": 2, "after": first["pageInfo"]["endCursor"]}).data["suppressions"]

    # then
    emails = lambda page: [edge["node"]["email"] for edge in page["edges"]]  # noqa: E731
    assert (first["totalCount"], emails(first), first["pageInfo"]["hasNextPage"]) == (
        4,
        ["else@example.net", "gone2@example.org"],
        True,
    )
    assert emails(second) == ["gone1@example.org", "gone0@example.org"]
    assert emails(searched) == ["gone2@example.org", "gone1@example.org", "gone0@example.org"]
    assert complaints["edges"] == [
        {
            "node": {
                "email": "else@example.net",
                "reason": "COMPLAINT",
                "detail": "Feedback-Type: abuse",
                "delivery": None,
            }
        }
    ]


@pytest.mark.django_db
def test_suppress_address_adds_it_by_hand(gql, owner):
    # when
    with gql.login(owner):
        result = gql.query(SUPPRESS, {"input": {"email": "Stop@Example.ORG"}}).data["suppressAddress"]

    # then
    assert result == {"__typename": "Suppression", "email": "Stop@example.org", "reason": "MANUAL"}
    assert list(Suppression.objects.values_list("owner_id", "email", "reason", "delivery_id")) == [
        (owner.pk, "Stop@example.org", SuppressionReason.MANUAL, None)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("not-an-address", validation("email", "Enter a valid email address.", "invalid")),
        ("", validation("email", "This field cannot be blank.", "blank")),
        ("GONE@example.org", validation("email", "This address is on your suppression list already.", "unique")),
    ],
)
def test_suppress_address_refuses_a_bad_or_a_listed_address_with_a_field_error(gql, owner, email, expected):
    # given
    suppress(owner, "gone@example.org")

    # when
    with gql.login(owner):
        result = gql.query(SUPPRESS, {"input": {"email": email}}).data["suppressAddress"]

    # then
    assert messages_of(result) == [expected]
    assert Suppression.objects.count() == 1


@pytest.mark.django_db
def test_lift_suppression_removes_it_and_the_next_run_sends_to_the_address(gql, owner):
    # given
    client = ClientFactory(owner=owner, email="back@example.org")
    suppression = suppress(owner, "back@example.org")
    mailing = MailingFactory(owner=owner, clients=[client])

    # when
    with gql.login(owner):
        result = gql.query(LIFT, {"input": {"id": gid("Suppression", suppression.pk)}}).data["liftSuppression"]
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=mailing.start_at)
    states.create_deliveries(run=run, now=timezone.now())

    # then
    assert result == {"__typename": "Suppression", "id": gid("Suppression", suppression.pk)}
    assert Suppression.objects.count() == 0
    assert list(DeliveryAttempt.objects.values_list("email", "status")) == [("back@example.org", "QUEUED")]


def closed_run(owner, outcomes: dict[str, str]) -> MailingRun:
    clients = [ClientFactory(owner=owner, email=email) for email in outcomes]
    mailing = MailingFactory(owner=owner, clients=clients)
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=mailing.start_at, status=RunStatus.RUNNING)
    for client in clients:
        DeliveryAttempt.objects.create(run=run, client=client, email=client.email, status=outcomes[client.email])
    return run


@pytest.mark.django_db
def test_retry_failed_sends_the_failed_and_deferred_rows_again_skipping_suppressed_ones(gql, owner):
    # given: a closed run with one row of each final outcome (a run closes once no row is open:
    # its DEFERRED rows, if any, went SKIPPED), and one failed address suppressed since
    run = closed_run(
        owner,
        {
            "failed@example.org": DeliveryStatus.FAILED,
            "timeout@example.org": DeliveryStatus.FAILED,
            "bounced@example.org": DeliveryStatus.BOUNCED,
            "sent@example.org": DeliveryStatus.SENT,
            "skipped@example.org": DeliveryStatus.SKIPPED,
            "suppressed@example.org": DeliveryStatus.FAILED,
        },
    )
    states.move_runs(MailingRun.objects.filter(pk=run.pk), RunStatus.CANCELLED)
    suppress(owner, "suppressed@example.org", SuppressionReason.HARD_BOUNCE)

    # when
    with gql.login(owner):
        result = gql.query(RETRY, {"id": gid("MailingRun", run.pk)}).data["retryFailed"]

    # then
    assert result == {"__typename": "MailingRun", "trigger": "RETRY", "status": "PENDING"}
    retry = MailingRun.objects.get(trigger=RunTrigger.RETRY)
    assert retry.retry_of_id == run.pk
    assert sorted(DeliveryAttempt.objects.filter(run=retry).values_list("email", "status", "server_response")) == [
        ("failed@example.org", DeliveryStatus.QUEUED, ""),
        ("suppressed@example.org", DeliveryStatus.SKIPPED, "Not sent: the address is suppressed (it bounced hard)."),
        ("timeout@example.org", DeliveryStatus.QUEUED, ""),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("closed", "outcome", "expected"),
    [
        (
            False,
            DeliveryStatus.FAILED,
            validation("runId", "The run is still sending; retry it once it is closed.", "run_open"),
        ),
        (
            True,
            DeliveryStatus.SENT,
            validation("runId", "The run has no failed or deferred rows to send again.", "nothing"),
        ),
    ],
)
def test_retry_failed_refuses_an_open_run_and_one_with_nothing_to_retry(gql, owner, closed, outcome, expected):
    # given
    run = closed_run(owner, {"ann@example.org": outcome})
    if closed:
        states.move_runs(MailingRun.objects.filter(pk=run.pk), RunStatus.FINISHED)

    # when
    with gql.login(owner):
        result = gql.query(RETRY, {"id": gid("MailingRun", run.pk)}).data["retryFailed"]

    # then
    assert messages_of(result) == [expected]
    assert MailingRun.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bounced", "complained", "warnings"),
    [
        (2, 0, []),
        (
            3,
            1,
            [
                {"code": "BOUNCE_RATE_HIGH", "rate": 0.03, "limit": 0.02},
                {"code": "COMPLAINT_RATE_HIGH", "rate": 0.01, "limit": 0.001},
            ],
        ),
    ],
)
def test_a_mailings_stats_say_when_a_rate_passes_its_limit(gql, owner, bounced, complained, warnings):
    # given: 100 accepted messages, some bounced, some reported as spam
    run = closed_run(owner, {f"c{n}@example.org": DeliveryStatus.SENT for n in range(100)})
    rows = list(DeliveryAttempt.objects.order_by("id"))
    states.bounce_deliveries(DeliveryAttempt.objects.filter(pk__in=[row.pk for row in rows[:bounced]]))
    now = timezone.now()
    for row in rows[bounced : bounced + complained]:
        BounceEvent.objects.create(delivery=row, mailing=row.mailing, run=run, kind="COMPLAINT", received_at=now)
    states.move_runs(MailingRun.objects.filter(pk=run.pk), RunStatus.FINISHED, finished_at=now + timedelta(0))

    # when
    with gql.login(owner):
        stats = gql.query(STATS, {"id": gid("Mailing", run.mailing_id)}).data["node"]["stats"]

    # then
    assert stats == {
        "sent": 100 - bounced,
        "bounced": bounced,
        "complained": complained,
        "bounceRate": bounced / 100,
        "complaintRate": complained / 100,
        "warnings": warnings,
    }
