from datetime import timedelta
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from graphql_schema.tests.helpers import OPERATION_INFO, gid, messages_of, validation
from mailing import queue
from mailing.delivery import runs
from mailing.models import DeliveryAttempt, DeliveryStatus, MailingRun, RunStatus, RunTrigger
from mailing.tests.factories import ClientFactory, MailingFactory

SEND_NOW = f"""
mutation($id: ID!) {{
  sendMailingNow(id: $id) {{
    __typename ... on MailingRun {{ id scheduledFor startedAt finishedAt status trigger mailing {{ id }} }}
    {OPERATION_INFO}
  }}
}}"""

ATTEMPTS = """
query($filters: DeliveryAttemptFilter, $first: Int) {
  deliveryAttempts(filters: $filters, first: $first) {
    totalCount
    edges { node {
      id email status attempts lastAttemptAt smtpCode serverResponse messageId
      client { id email }
      run { id scheduledFor startedAt finishedAt status mailing { id } }
    } }
  }
}"""

MAILINGS = """
query($first: Int) {
  mailings(first: $first) {
    edges { node {
      id
      stats { total sent deferred failed skipped pending }
      runs(first: 5) { totalCount edges { node { id scheduledFor status } } }
    } }
  }
}"""


def make_run(owner, emails, statuses, *, scheduled_for=None, mailing=None):
    """A run of a mailing with one row per e-mail, in the given statuses."""
    if mailing is None:
        clients = [ClientFactory(owner=owner, email=email) for email in emails]
        mailing = MailingFactory(owner=owner, clients=clients)
    clients = {client.email: client for client in mailing.clients.all()}
    run = MailingRun.objects.create(
        mailing=mailing, scheduled_for=scheduled_for or timezone.now(), status=RunStatus.RUNNING
    )
    for email, status in zip(emails, statuses, strict=True):
        DeliveryAttempt.objects.create(
            run=run,
            client=clients[email],
            email=email,
            status=status,
            attempts=1 if status != DeliveryStatus.QUEUED else 0,
            smtp_code=250 if status == DeliveryStatus.SENT else None,
            server_response="250 2.0.0 Ok: queued as ABC" if status == DeliveryStatus.SENT else "",
            message_id="<1.1.abc@shop.example>" if status == DeliveryStatus.SENT else "",
        )
    return run


@pytest.mark.django_db
def test_send_mailing_now_creates_a_run_and_enqueues_it_on_commit(
    gql, owner, django_capture_on_commit_callbacks, settings
):
    # given: the cluster is asked for one worker per run
    settings.MAILING_RUN_WORKERS = 1
    client = ClientFactory(owner=owner, email="ann@example.org")
    mailing = MailingFactory(owner=owner, clients=[client], start_at=timezone.now() + timedelta(days=1))

    # when
    with gql.login(owner), django_capture_on_commit_callbacks() as callbacks:
        result = gql.query(SEND_NOW, {"id": gid("Mailing", mailing.pk)}).data["sendMailingNow"]

    # then
    run = MailingRun.objects.get()
    assert result == {
        "__typename": "MailingRun",
        "id": gid("MailingRun", run.pk),
        "scheduledFor": run.scheduled_for.isoformat(),
        "startedAt": None,
        "finishedAt": None,
        "status": "PENDING",
        "trigger": "MANUAL",
        "mailing": {"id": gid("Mailing", mailing.pk)},
    }
    assert run.trigger == RunTrigger.MANUAL
    assert list(run.attempts.values_list("email", "status")) == [("ann@example.org", "QUEUED")]
    mailing.refresh_from_db()
    assert mailing.status == "STARTED"
    # The web request sent nothing itself: the run goes to the cluster once the request commits.
    assert [(c.func, c.args) for c in callbacks if isinstance(c, partial)] == [(queue.enqueue_run, (run.pk,))]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"is_active": False}, validation("id", "The mailing is disabled.", "disabled")),
        (
            {"end_at": timezone.now() - timedelta(minutes=1), "start_at": timezone.now() - timedelta(days=1)},
            validation("id", "The mailing's end has passed.", "ended"),
        ),
    ],
)
def test_send_mailing_now_refuses_a_mailing_that_may_not_send(gql, owner, change, expected):
    # given
    mailing = MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)])
    for field, value in change.items():
        setattr(mailing, field, value)
    mailing.save()

    # when
    with gql.login(owner):
        result = gql.query(SEND_NOW, {"id": gid("Mailing", mailing.pk)}).data["sendMailingNow"]

    # then
    assert messages_of(result) == [expected]
    assert MailingRun.objects.count() == 0


IN_PROGRESS = {
    "en": (
        "A run of this mailing is still making its first attempts. “Send now” can start a new run once every "
        "recipient has been tried."
    ),
    "ru": (
        "Запуск этой рассылки ещё делает первые попытки. «Отправить сейчас» начнёт новый запуск, когда каждому "
        "получателю будет сделана хотя бы одна попытка."
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("first_attempt", [DeliveryStatus.QUEUED, DeliveryStatus.SENDING])
def test_send_mailing_now_refuses_while_a_run_makes_first_attempts(gql, owner, language, first_attempt):
    # given: a run with a retry waiting and a row on its first attempt; the owner reads the language
    run = make_run(owner, ["ann@example.org", "bob@example.org"], [DeliveryStatus.DEFERRED, first_attempt])
    owner.language = language
    owner.save()

    # when
    with gql.login(owner):
        result = gql.query(SEND_NOW, {"id": gid("Mailing", run.mailing_id)}).data["sendMailingNow"]

    # then
    assert messages_of(result) == [validation("id", IN_PROGRESS[language], "run_in_progress")]
    assert list(MailingRun.objects.values_list("pk", "status")) == [(run.pk, RunStatus.RUNNING)]
    assert sorted(run.attempts.values_list("email", "status")) == [
        ("ann@example.org", DeliveryStatus.DEFERRED),
        ("bob@example.org", first_attempt),
    ]


@pytest.mark.django_db
def test_send_mailing_now_starts_a_new_run_when_the_last_one_only_waits_on_retries(gql, owner):
    # given: a run that sent to one, failed one and waits to retry one
    run = make_run(
        owner,
        ["ann@example.org", "bob@example.org", "cat@example.org"],
        [DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.DEFERRED],
    )
    run.attempts.filter(email="cat@example.org").update(server_response="451 4.7.1 Greylisted, try again later")

    # when
    with gql.login(owner):
        result = gql.query(SEND_NOW, {"id": gid("Mailing", run.mailing_id)}).data["sendMailingNow"]

    # then
    new = MailingRun.objects.get(trigger=RunTrigger.MANUAL)
    assert (result["__typename"], result["id"], result["status"]) == (
        "MailingRun",
        gid("MailingRun", new.pk),
        "PENDING",
    )
    run.refresh_from_db()
    assert (run.status, run.total_count, run.sent_count, run.failed_count, run.skipped_count) == (
        RunStatus.FINISHED,
        3,
        1,
        1,
        1,
    )
    assert run.attempts.get(email="cat@example.org").server_response == (
        "Not retried: “Send now” started a new run. The last reply was: 451 4.7.1 Greylisted, try again later"
    )
    assert sorted(new.attempts.values_list("email", "status")) == [
        ("ann@example.org", DeliveryStatus.QUEUED),
        ("bob@example.org", DeliveryStatus.QUEUED),
        ("cat@example.org", DeliveryStatus.QUEUED),
    ]


@pytest.mark.django_db
def test_a_blocked_owner_cannot_send_now(gql, owner):
    # given: a session opened before the owner was blocked
    mailing = MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)])

    # when
    with gql.login(owner):
        owner.blocked_at = timezone.now()
        owner.save()
        result = gql.query(SEND_NOW, {"id": gid("Mailing", mailing.pk)}).data["sendMailingNow"]
    with pytest.raises(ValidationError) as error:
        runs.mailing_send_now(mailing=mailing, enqueue=None)

    # then: the API no longer knows the user, and the service refuses on its own too
    assert messages_of(result) == [
        {"kind": "PERMISSION", "field": "sendMailingNow", "message": "User is not authenticated.", "code": None}
    ]
    assert error.value.message_dict == {"id": ["Your account is blocked from sending."]}
    assert MailingRun.objects.count() == 0


@pytest.mark.django_db
def test_send_mailing_now_on_another_owners_mailing_is_not_found(gql, owner, other_owner):
    # given
    mailing = MailingFactory(owner=other_owner, clients=[ClientFactory(owner=other_owner)])

    # when
    with gql.login(owner):
        result = gql.query(SEND_NOW, {"id": gid("Mailing", mailing.pk)}).data["sendMailingNow"]
        wrong_type = gql.query(SEND_NOW, {"id": gid("Client", mailing.pk)}).data["sendMailingNow"]

    # then
    assert messages_of(result) == messages_of(wrong_type) == [validation("id", "Mailing not found.", "not_found")]
    assert MailingRun.objects.count() == 0


@pytest.mark.django_db
def test_send_mailing_now_needs_a_login(gql, owner):
    # given
    mailing = MailingFactory(owner=owner, clients=[ClientFactory(owner=owner)])

    # when
    result = gql.query(SEND_NOW, {"id": gid("Mailing", mailing.pk)}).data["sendMailingNow"]

    # then
    assert messages_of(result) == [
        {"kind": "PERMISSION", "field": "sendMailingNow", "message": "User is not authenticated.", "code": None}
    ]
    assert MailingRun.objects.count() == 0


@pytest.mark.django_db
def test_delivery_attempts_lists_the_owners_rows_with_every_field(gql, owner, other_owner):
    # given
    run = make_run(owner, ["ann@example.org"], [DeliveryStatus.SENT])
    make_run(other_owner, ["secret@example.org"], [DeliveryStatus.SENT])
    row = DeliveryAttempt.objects.get(run=run)

    # when
    with gql.login(owner):
        result = gql.query(ATTEMPTS, {"first": 10}).data["deliveryAttempts"]

    # then
    assert result == {
        "totalCount": 1,
        "edges": [
            {
                "node": {
                    "id": gid("DeliveryAttempt", row.pk),
                    "email": "ann@example.org",
                    "status": "SENT",
                    "attempts": 1,
                    "lastAttemptAt": None,
                    "smtpCode": 250,
                    "serverResponse": "250 2.0.0 Ok: queued as ABC",
                    "messageId": "<1.1.abc@shop.example>",
                    "client": {"id": gid("Client", row.client_id), "email": "ann@example.org"},
                    "run": {
                        "id": gid("MailingRun", run.pk),
                        "scheduledFor": run.scheduled_for.isoformat(),
                        "startedAt": None,
                        "finishedAt": None,
                        "status": "RUNNING",
                        "mailing": {"id": gid("Mailing", run.mailing_id)},
                    },
                }
            }
        ],
    }


@pytest.mark.django_db
def test_delivery_attempts_filters_by_mailing_run_status_and_client(gql, owner, other_owner):
    # given: two runs of one mailing, and another mailing
    first = make_run(owner, ["ann@example.org", "bob@example.org"], [DeliveryStatus.SENT, DeliveryStatus.FAILED])
    second = make_run(
        owner,
        ["ann@example.org", "bob@example.org"],
        [DeliveryStatus.DEFERRED, DeliveryStatus.SENT],
        mailing=first.mailing,
        scheduled_for=first.scheduled_for + timedelta(days=1),
    )
    other = make_run(owner, ["cat@example.org"], [DeliveryStatus.SENT])
    foreign = make_run(other_owner, ["dan@example.org"], [DeliveryStatus.SENT])
    ann = first.mailing.clients.get(email="ann@example.org")

    def emails(filters):
        with gql.login(owner):
            data = gql.query(ATTEMPTS, {"filters": filters, "first": 10}).data["deliveryAttempts"]
        return [(edge["node"]["email"], edge["node"]["status"]) for edge in data["edges"]]

    # when / then
    assert emails({"mailing": gid("Mailing", first.mailing_id)}) == [
        ("bob@example.org", "SENT"),
        ("ann@example.org", "DEFERRED"),
        ("bob@example.org", "FAILED"),
        ("ann@example.org", "SENT"),
    ]
    assert emails({"run": gid("MailingRun", second.pk)}) == [
        ("bob@example.org", "SENT"),
        ("ann@example.org", "DEFERRED"),
    ]
    assert emails({"status": "SENT"}) == [
        ("cat@example.org", "SENT"),
        ("bob@example.org", "SENT"),
        ("ann@example.org", "SENT"),
    ]
    assert emails({"client": gid("Client", ann.pk), "status": "DEFERRED"}) == [("ann@example.org", "DEFERRED")]
    assert emails({"mailing": gid("Mailing", other.mailing_id)}) == [("cat@example.org", "SENT")]
    # Another owner's ids, and ids of the wrong type, match nothing.
    assert emails({"mailing": gid("Mailing", foreign.mailing_id)}) == []
    assert emails({"run": gid("Mailing", second.pk)}) == []
    assert emails({"client": gid("Client", "not-a-number")}) == []


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [5, 60])
def test_delivery_attempts_runs_a_fixed_number_of_queries(gql, owner, django_assert_num_queries, rows):
    # given
    emails = [f"c{n}@example.org" for n in range(rows)]
    make_run(owner, emails, [DeliveryStatus.SENT] * rows)

    # when / then: the session, the user, the page's keys (a LIMIT read in an index), its rows by
    # key, their total (a COUNT of its own), then their clients, runs and mailings, each fetched
    # once through the owner's selector
    with gql.login(owner), django_assert_num_queries(8):
        result = gql.query(ATTEMPTS, {"first": 50}).data["deliveryAttempts"]
    assert result["totalCount"] == rows


@pytest.mark.django_db
def test_a_deep_page_of_delivery_attempts_runs_the_same_queries_as_the_first(gql, owner, django_assert_num_queries):
    # given: 60 rows
    make_run(owner, [f"c{n}@example.org" for n in range(60)], [DeliveryStatus.SENT] * 60)

    # when / then: the session, the user, the page's keys, its rows and the total, both times
    with gql.login(owner), django_assert_num_queries(5):
        first = gql.query(PAGE, {"first": 40}).data["deliveryAttempts"]
    with gql.login(owner), django_assert_num_queries(5):
        deep = gql.query(PAGE, {"first": 40, "after": first["pageInfo"]["endCursor"]}).data["deliveryAttempts"]
    assert (len(first["edges"]), len(deep["edges"])) == (40, 20)
    assert deep["pageInfo"]["hasNextPage"] is False


@pytest.mark.django_db
def test_mailing_stats_and_runs(gql, owner):
    # given
    first = make_run(
        owner,
        ["a@example.org", "b@example.org", "c@example.org", "d@example.org", "e@example.org", "f@example.org"],
        [
            DeliveryStatus.SENT,
            DeliveryStatus.SENT,
            DeliveryStatus.DEFERRED,
            DeliveryStatus.FAILED,
            DeliveryStatus.SKIPPED,
            DeliveryStatus.QUEUED,
        ],
    )
    second = make_run(
        owner,
        ["a@example.org"],
        [DeliveryStatus.SENDING],
        mailing=first.mailing,
        scheduled_for=first.scheduled_for + timedelta(days=1),
    )

    # when
    with gql.login(owner):
        result = gql.query(MAILINGS, {"first": 10}).data["mailings"]

    # then
    assert result["edges"] == [
        {
            "node": {
                "id": gid("Mailing", first.mailing_id),
                "stats": {"total": 7, "sent": 2, "deferred": 1, "failed": 1, "skipped": 1, "pending": 2},
                "runs": {
                    "totalCount": 2,
                    "edges": [
                        {
                            "node": {
                                "id": gid("MailingRun", second.pk),
                                "scheduledFor": second.scheduled_for.isoformat(),
                                "status": "RUNNING",
                            }
                        },
                        {
                            "node": {
                                "id": gid("MailingRun", first.pk),
                                "scheduledFor": first.scheduled_for.isoformat(),
                                "status": "RUNNING",
                            }
                        },
                    ],
                },
            }
        }
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("mailing_count", [3, 30])
def test_mailing_stats_and_runs_run_a_fixed_number_of_queries(gql, owner, django_assert_num_queries, mailing_count):
    # given
    for n in range(mailing_count):
        make_run(owner, [f"m{n}a@example.org", f"m{n}b@example.org"], [DeliveryStatus.SENT, DeliveryStatus.FAILED])

    # when / then: the session, the user, the page of mailings with their stats aggregated,
    # and the runs of all of them
    with gql.login(owner), django_assert_num_queries(4):
        result = gql.query(MAILINGS, {"first": 50}).data["mailings"]
    assert [edge["node"]["stats"]["total"] for edge in result["edges"]] == [2] * mailing_count
    assert all(edge["node"]["runs"]["totalCount"] == 1 for edge in result["edges"])


@pytest.mark.django_db
def test_delivery_attempts_of_another_owner_are_invisible_even_by_node(gql, owner, other_owner):
    # given
    run = make_run(other_owner, ["secret@example.org"], [DeliveryStatus.SENT])
    row = DeliveryAttempt.objects.get(run=run)
    query = "query($id: ID!) { node(id: $id) { id } }"

    # when
    with gql.login(owner):
        attempt = gql.query(query, {"id": gid("DeliveryAttempt", row.pk)}).data["node"]
        mailing_run = gql.query(query, {"id": gid("MailingRun", run.pk)}).data["node"]
        listed = gql.query(ATTEMPTS, {"first": 10}).data["deliveryAttempts"]

    # then
    assert (attempt, mailing_run, listed["totalCount"]) == (None, None, 0)


PAGE = """
query($filters: DeliveryAttemptFilter, $first: Int, $after: String) {
  deliveryAttempts(filters: $filters, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { email status } }
  }
}"""


@pytest.mark.django_db
def test_delivery_attempts_pages_by_keyset_newest_first(gql, owner, other_owner):
    # given: another owner's run first (so that row ids and run ids differ), then two runs of one
    # mailing, three recipients each, and a row of another mailing
    make_run(other_owner, [f"x{n}@example.org" for n in range(10)], [DeliveryStatus.SENT] * 10)
    emails = ["ann@example.org", "bob@example.org", "cat@example.org"]
    first = make_run(owner, emails, [DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SENT])
    second = make_run(
        owner,
        emails,
        [DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.DEFERRED],
        mailing=first.mailing,
        scheduled_for=first.scheduled_for + timedelta(days=1),
    )
    make_run(owner, ["dan@example.org"], [DeliveryStatus.SENT])
    filters = {"mailing": gid("Mailing", first.mailing_id), "status": "SENT"}

    def page(after=None):
        with gql.login(owner):
            return gql.query(PAGE, {"filters": filters, "first": 2, "after": after}).data["deliveryAttempts"]

    # when
    one = page()
    two = page(one["pageInfo"]["endCursor"])
    # a newer run's row comes before the cursor's: the page after the cursor stays as it was
    make_run(
        owner,
        ["ann@example.org"],
        [DeliveryStatus.SENT],
        mailing=first.mailing,
        scheduled_for=first.scheduled_for + timedelta(days=2),
    )
    again = page(one["pageInfo"]["endCursor"])
    newest = page()

    # then
    assert [(e["node"]["email"]) for e in one["edges"]] == ["bob@example.org", "ann@example.org"]
    assert (one["totalCount"], one["pageInfo"]["hasNextPage"]) == (4, True)
    assert [(e["node"]["email"]) for e in two["edges"]] == ["cat@example.org", "ann@example.org"]
    assert (two["totalCount"], two["pageInfo"]["hasNextPage"]) == (4, False)
    assert two["pageInfo"]["endCursor"] == two["edges"][-1]["cursor"]
    assert [(e["node"]["email"]) for e in again["edges"]] == ["cat@example.org", "ann@example.org"]
    assert again["totalCount"] == 5
    assert [(e["node"]["email"]) for e in newest["edges"]] == ["ann@example.org", "bob@example.org"]
    assert second.pk > first.pk


@pytest.mark.django_db
@pytest.mark.parametrize("runs", [1, 12])
def test_a_mailings_stats_by_node_run_a_fixed_number_of_queries(gql, owner, django_assert_num_queries, runs):
    # given
    first = make_run(owner, ["a@example.org", "b@example.org"], [DeliveryStatus.SENT, DeliveryStatus.FAILED])
    for n in range(1, runs):
        make_run(
            owner,
            ["a@example.org", "b@example.org"],
            [DeliveryStatus.SENT, DeliveryStatus.QUEUED],
            mailing=first.mailing,
            scheduled_for=first.scheduled_for + timedelta(days=n),
        )
    query = "query($id: ID!) { node(id: $id) { ... on Mailing { stats { total sent failed pending } } } }"

    # when / then: the session, the user, and the mailing with its counts in one statement
    with gql.login(owner), django_assert_num_queries(3):
        result = gql.query(query, {"id": gid("Mailing", first.mailing_id)}).data["node"]
    assert result == {"stats": {"total": 2 * runs, "sent": runs, "failed": 1, "pending": runs - 1}}


BACKWARDS = """
query($first: Int, $after: String, $last: Int, $before: String) {
  deliveryAttempts(first: $first, after: $after, last: $last, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { email } }
  }
}"""


@pytest.mark.django_db
def test_delivery_attempts_page_backwards_from_a_cursor(gql, owner):
    # given: five rows, newest first: e, d, c, b, a
    make_run(owner, [f"{letter}@example.org" for letter in "abcde"], [DeliveryStatus.SENT] * 5)

    def page(**variables):
        with gql.login(owner):
            return gql.query(BACKWARDS, variables).data["deliveryAttempts"]

    def emails(result):
        return [edge["node"]["email"][0] for edge in result["edges"]]

    # when
    whole = page(first=5)
    before_b = page(last=2, before=whole["edges"][3]["cursor"])
    last_two = page(last=2)
    first_three_last_one = page(first=3, last=1)

    # then
    assert emails(whole) == ["e", "d", "c", "b", "a"]
    assert emails(before_b) == ["d", "c"]
    assert (before_b["pageInfo"]["hasPreviousPage"], before_b["pageInfo"]["hasNextPage"]) == (True, False)
    assert before_b["pageInfo"]["startCursor"] == whole["edges"][1]["cursor"]
    assert emails(last_two) == ["b", "a"]
    assert emails(first_three_last_one) == ["c"]
    assert first_three_last_one["pageInfo"]["hasNextPage"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"after": "nonsense"}, "Argument 'after' is not a cursor of this list."),
        ({"before": "b3JkZXJlZGN1cnNvcjpbIjEiXQ=="}, "Argument 'before' is not a cursor of this list."),
        ({"after": "a2V5c2V0Oi0x"}, "Argument 'after' is not a cursor of this list."),
        ({"first": -1}, "Argument 'first' must be a non-negative integer."),
        ({"last": 101}, "Argument 'last' cannot be higher than 100."),
    ],
)
def test_a_bad_page_argument_is_refused_by_name(gql, owner, variables, message):
    # given
    make_run(owner, ["ann@example.org"], [DeliveryStatus.SENT])

    # when
    with gql.login(owner):
        result = gql.query(BACKWARDS, variables, assert_no_errors=False)

    # then
    assert result.data is None
    assert [error["message"] for error in result.errors] == [message]
