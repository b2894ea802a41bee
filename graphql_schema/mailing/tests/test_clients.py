import pytest

from graphql_schema.tests.helpers import OPERATION_INFO, gid, messages_of, validation
from mailing.models import Client
from mailing.tests.factories import ClientFactory

CLIENT_FIELDS = "id email fullName comment createdAt"

CREATE = f"""
mutation($input: CreateClientInput!) {{
  createClient(input: $input) {{ __typename ... on Client {{ {CLIENT_FIELDS} }} {OPERATION_INFO} }}
}}"""
UPDATE = f"""
mutation($input: UpdateClientInput!) {{
  updateClient(input: $input) {{ __typename ... on Client {{ {CLIENT_FIELDS} }} {OPERATION_INFO} }}
}}"""
DELETE = f"""
mutation($input: DeleteClientInput!) {{
  deleteClient(input: $input) {{ __typename ... on Client {{ id email }} {OPERATION_INFO} }}
}}"""
LIST = f"""
query($filters: ClientFilter, $ordering: [ClientOrder!], $first: Int, $after: String) {{
  clients(filters: $filters, ordering: $ordering, first: $first, after: $after) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ {CLIENT_FIELDS} }} }}
  }}
}}"""


@pytest.mark.django_db
def test_create_client_stores_it_for_the_viewer(gql, owner):
    # given
    variables = {"input": {"email": "Ann@Example.COM", "fullName": " Ann Lee ", "comment": "VIP"}}

    # when
    with gql.login(owner):
        result = gql.query(CREATE, variables).data["createClient"]

    # then
    client = Client.objects.get()
    assert result == {
        "__typename": "Client",
        "id": gid("Client", client.pk),
        "email": "Ann@example.com",
        "fullName": "Ann Lee",
        "comment": "VIP",
        "createdAt": client.created_at.isoformat(),
    }
    assert (client.owner, client.email, client.full_name) == (owner, "Ann@example.com", "Ann Lee")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"email": "not-an-address", "fullName": "Ann"},
            [validation("email", "Enter a valid email address.", "invalid")],
        ),
        ({"email": "", "fullName": "Ann"}, [validation("email", "This field cannot be blank.", "blank")]),
        (
            {"email": "ann@example.com", "fullName": ""},
            [validation("fullName", "This field cannot be blank.", "blank")],
        ),
        (
            {"email": "ann@example.com", "fullName": "Ann\r\nBcc: evil@example.com"},
            [validation("fullName", "Must be a single line.", "multiline")],
        ),
        (
            {"email": "ann@example.com", "fullName": "x" * 10_000},
            [validation("fullName", "Ensure this value has at most 200 characters (it has 10000).", "max_length")],
        ),
    ],
)
def test_create_client_rejects_bad_input_and_stores_nothing(gql, owner, payload, expected):
    # when
    with gql.login(owner):
        result = gql.query(CREATE, {"input": payload}).data["createClient"]

    # then
    assert messages_of(result) == expected
    assert Client.objects.count() == 0


@pytest.mark.django_db
def test_create_client_refuses_a_duplicate_email_case_insensitively(gql, owner):
    # given
    ClientFactory(owner=owner, email="ann@example.com")

    # when
    with gql.login(owner):
        result = gql.query(CREATE, {"input": {"email": "ANN@example.com", "fullName": "Ann"}}).data["createClient"]

    # then
    assert messages_of(result) == [validation("email", "You already have a client with this e-mail address.", "unique")]
    assert Client.objects.count() == 1


@pytest.mark.django_db
def test_two_owners_may_have_the_same_client(gql, owner, other_owner):
    # given
    ClientFactory(owner=other_owner, email="ann@example.com")

    # when
    with gql.login(owner):
        result = gql.query(CREATE, {"input": {"email": "ann@example.com", "fullName": "Ann"}}).data["createClient"]

    # then
    assert result["__typename"] == "Client"
    assert Client.objects.filter(email="ann@example.com").count() == 2


@pytest.mark.django_db
def test_update_client_changes_only_the_fields_sent(gql, owner):
    # given
    client = ClientFactory(owner=owner, email="ann@example.com", full_name="Ann", comment="old")

    # when
    with gql.login(owner):
        result = gql.query(UPDATE, {"input": {"id": gid("Client", client.pk), "comment": "new"}}).data["updateClient"]

    # then
    assert (result["email"], result["fullName"], result["comment"]) == ("ann@example.com", "Ann", "new")
    client.refresh_from_db()
    assert (client.email, client.full_name, client.comment) == ("ann@example.com", "Ann", "new")


@pytest.mark.django_db
def test_update_client_to_an_email_already_taken_changes_nothing(gql, owner):
    # given
    ClientFactory(owner=owner, email="ann@example.com")
    client = ClientFactory(owner=owner, email="bob@example.com", full_name="Bob")

    # when
    with gql.login(owner):
        result = gql.query(
            UPDATE, {"input": {"id": gid("Client", client.pk), "email": "ann@example.com", "fullName": "Robert"}}
        ).data["updateClient"]

    # then
    assert messages_of(result) == [validation("email", "You already have a client with this e-mail address.", "unique")]
    client.refresh_from_db()
    assert (client.email, client.full_name) == ("bob@example.com", "Bob")


@pytest.mark.django_db
def test_delete_client(gql, owner):
    # given
    client = ClientFactory(owner=owner, email="ann@example.com")

    # when
    with gql.login(owner):
        result = gql.query(DELETE, {"input": {"id": gid("Client", client.pk)}}).data["deleteClient"]

    # then
    assert result == {"__typename": "Client", "id": gid("Client", client.pk), "email": "ann@example.com"}
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_list_clients_filters_orders_and_paginates(gql, owner, other_owner):
    # given
    for email in ["carol@example.com", "ann@example.com", "bob@example.com", "anna@example.net"]:
        ClientFactory(owner=owner, email=email)
    ClientFactory(owner=other_owner, email="anne@example.com")

    # when
    with gql.login(owner):
        first_page = gql.query(LIST, {"filters": {"search": "ANN"}, "ordering": [{"email": "ASC"}], "first": 1}).data[
            "clients"
        ]
        second_page = gql.query(
            LIST,
            {
                "filters": {"search": "ann"},
                "ordering": [{"email": "ASC"}],
                "first": 1,
                "after": first_page["pageInfo"]["endCursor"],
            },
        ).data["clients"]

    # then
    assert first_page["totalCount"] == 2
    assert [edge["node"]["email"] for edge in first_page["edges"]] == ["ann@example.com"]
    assert first_page["pageInfo"]["hasNextPage"] is True
    assert [edge["node"]["email"] for edge in second_page["edges"]] == ["anna@example.net"]
    assert second_page["pageInfo"]["hasNextPage"] is False


@pytest.mark.django_db
def test_page_size_is_capped_at_100(gql, owner):
    # when
    with gql.login(owner):
        result = gql.query(LIST, {"first": 101}, assert_no_errors=False)

    # then
    assert result.data is None
    assert [error["message"] for error in result.errors] == ["Argument 'first' cannot be higher than 100."]


@pytest.mark.django_db
def test_list_clients_runs_a_fixed_number_of_queries(gql, owner, django_assert_num_queries):
    # given
    ClientFactory.create_batch(60, owner=owner)

    # when / then: the session, the user, and one page with its total (a window count)
    with gql.login(owner), django_assert_num_queries(3):
        result = gql.query(LIST, {"first": 50}).data["clients"]
    assert result["totalCount"] == 60
    assert len(result["edges"]) == 50
