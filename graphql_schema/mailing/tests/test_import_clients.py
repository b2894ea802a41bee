import pytest

from graphql_schema.tests.helpers import OPERATION_INFO
from mailing.models import Client
from mailing.tests.factories import ClientFactory

IMPORT = f"""
mutation($csv: String!) {{
  importClients(csv: $csv) {{
    __typename
    ... on ImportClientsResult {{ created updated unchanged errors {{ row field message }} }}
    {OPERATION_INFO}
  }}
}}"""


def run_import(gql, user, csv_text):
    with gql.login(user):
        return gql.query(IMPORT, {"csv": csv_text}).data["importClients"]


@pytest.mark.django_db
def test_import_creates_updates_and_reports_bad_rows_keeping_the_good(gql, owner, other_owner):
    # given
    ClientFactory(owner=owner, email="bob@example.com", full_name="Bob", comment="old")
    ClientFactory(owner=owner, email="cat@example.com", full_name="Cat", comment="")
    ClientFactory(owner=other_owner, email="ann@example.com", full_name="Not mine")
    csv_text = (
        "email,full_name,comment\n"
        "ann@example.com,Ann Lee,new one\n"  # row 2: created
        "BOB@example.com,Bob Stone,updated\n"  # row 3: updates bob, case-insensitively
        "cat@example.com,Cat,\n"  # row 4: unchanged
        "not-an-address,Dan,\n"  # row 5: bad e-mail
        "eve@example.com,,\n"  # row 6: no name
        "ann@example.com,Ann Again,\n"  # row 7: same address as row 2
        '"fay@example.com","Fay, Jr.","says ""hi"""\n'  # row 8: quoted fields
        "gus@example.com,Gus,x,extra\n"  # row 9: too many values
        "\n"  # a blank line is skipped
    )

    # when
    result = run_import(gql, owner, csv_text)

    # then
    assert result == {
        "__typename": "ImportClientsResult",
        "created": 2,
        "updated": 1,
        "unchanged": 1,
        "errors": [
            {"row": 5, "field": "email", "message": "Enter a valid email address."},
            {"row": 6, "field": "fullName", "message": "This field is required."},
            {"row": 7, "field": "email", "message": "The same e-mail address is already on row 2."},
            {"row": 9, "field": None, "message": "The row has 4 values; the header names 3."},
        ],
    }
    assert sorted(Client.objects.filter(owner=owner).values_list("email", "full_name", "comment")) == [
        ("BOB@example.com", "Bob Stone", "updated"),
        ("ann@example.com", "Ann Lee", "new one"),
        ("cat@example.com", "Cat", ""),
        ("fay@example.com", "Fay, Jr.", 'says "hi"'),
    ]
    assert Client.objects.get(owner=other_owner).full_name == "Not mine"


@pytest.mark.django_db
def test_import_without_comment_column(gql, owner):
    # when
    result = run_import(gql, owner, "full_name,email\r\nAnn,ann@example.com\r\n")

    # then
    assert (result["created"], result["errors"]) == (1, [])
    assert Client.objects.get().full_name == "Ann"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("", "The CSV is empty; expected the header row email,full_name,comment."),
        (
            "mail,name\nann@example.com,Ann\n",
            "The header must name the columns email,full_name,comment (comment is optional); got mail,name.",
        ),
        (
            "email,full_name,email\nann@example.com,Ann,x\n",
            "The header must name the columns email,full_name,comment (comment is optional); "
            "got email,full_name,email.",
        ),
    ],
)
def test_import_with_a_bad_header_imports_nothing(gql, owner, csv_text, message):
    # when
    result = run_import(gql, owner, csv_text)

    # then
    assert result["errors"] == [{"row": 1, "field": None, "message": message}]
    assert (result["created"], result["updated"]) == (0, 0)
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_import_over_the_row_limit_imports_nothing(gql, owner, settings):
    # given
    settings.IMPORT_CLIENTS_MAX_ROWS = 3
    rows = "".join(f"c{n}@example.com,C{n}\n" for n in range(4))

    # when
    result = run_import(gql, owner, "email,full_name\n" + rows)

    # then
    assert result["errors"] == [{"row": 5, "field": None, "message": "Too many rows: at most 3 a single import."}]
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_import_reports_overlong_values(gql, owner):
    # when
    result = run_import(gql, owner, f"email,full_name,comment\nann@example.com,{'x' * 201},{'y' * 2001}\n")

    # then
    assert result["errors"] == [
        {"row": 2, "field": "fullName", "message": "At most 200 characters (it has 201)."},
        {"row": 2, "field": "comment", "message": "At most 2000 characters (it has 2001)."},
    ]
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_import_of_many_rows_runs_batched_queries(gql, owner, django_assert_max_num_queries):
    # given: 2,000 rows, half of them updates
    ClientFactory.create_batch(1000, owner=owner, comment="")
    existing = list(Client.objects.values_list("email", flat=True))
    rows = [f"{email},Renamed,\n" for email in existing] + [f"new{n}@example.com,New {n},\n" for n in range(1000)]

    # when / then: batched lookups and writes (SQLite's variable limit makes its batches the smallest)
    with django_assert_max_num_queries(60):
        result = run_import(gql, owner, "email,full_name,comment\n" + "".join(rows))
    assert (result["created"], result["updated"], result["errors"]) == (1000, 1000, [])
    assert Client.objects.filter(owner=owner, full_name="Renamed").count() == 1000
