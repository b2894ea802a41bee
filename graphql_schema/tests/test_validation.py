"""The request limits measured through fragments (graphql_schema/validation.py): depth, aliases,
repetition at one place of the response, and the validation cache's key."""

import pytest

from graphql_schema.validation import MAX_FRAGMENTS, MAX_SAME_NAME, ValidationCache


def chain(levels: int) -> str:
    fragments = " ".join(f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }}" for n in range(levels))
    return f"query {{ ...F0 }} {fragments} fragment F{levels} on Query {{ __typename }}"


# Depth 3 (mailings, edges, node), all of it inside fragments.
THROUGH_FRAGMENTS = """
query Deep { mailings { ...Edges } }
fragment Edges on MailingConnection { edges { ...Node } }
fragment Node on MailingEdge { node { id } }
"""


@pytest.mark.django_db
def test_a_chain_of_fragments_that_spread_the_next_twice_is_answered(gql):
    # when: 2^30 paths through the fragments, each fragment measured once
    result = gql.query(chain(30))

    # then
    assert result.data == {"__typename": "Query"}


@pytest.mark.django_db
@pytest.mark.parametrize(("max_depth", "errors"), [(3, None), (2, ["'Deep' exceeds maximum operation depth of 2"])])
def test_the_depth_is_counted_through_fragments(gql, owner, settings, max_depth, errors):
    # given
    settings.GRAPHQL_MAX_DEPTH = max_depth

    # when
    with gql.login(owner):
        result = gql.query(THROUGH_FRAGMENTS, assert_no_errors=False)

    # then
    assert (result.data, [error["message"] for error in result.errors] if result.errors else None) == (
        None if errors else {"mailings": {"edges": []}},
        errors,
    )


@pytest.mark.django_db
def test_a_fragment_spread_at_two_depths_counts_at_the_deeper(gql, owner, settings):
    # given: `Id` at depth 1 (under me) and at depth 3 (under mailings.edges.node)
    settings.GRAPHQL_MAX_DEPTH = 2
    query = "{ me { ...Id } mailings { edges { node { ...MailingId } } } } fragment Id on User { id } " + (
        "fragment MailingId on Mailing { owner { ...Id } }"
    )

    # when
    with gql.login(owner):
        result = gql.query(query, assert_no_errors=False)

    # then
    assert result.data is None
    assert [error["message"] for error in result.errors] == ["'anonymous' exceeds maximum operation depth of 2"]


@pytest.mark.django_db
def test_aliases_are_counted_each_time_their_fragment_is_spread(gql):
    # given: 16 aliases in a fragment spread twice (the limit is 30)
    aliases = " ".join(f"a{n}: __typename" for n in range(16))
    query = f"{{ ...A ... on Query {{ ...A }} }} fragment A on Query {{ {aliases} }}"

    # when
    result = gql.query(query, assert_no_errors=False)

    # then
    assert result.data is None
    assert [error["message"] for error in result.errors] == ["32 aliases found. Allowed: 30"]


def single_chain(levels: int) -> str:
    fragments = " ".join(f"fragment F{n} on Query {{ ...F{n + 1} }}" for n in range(levels))
    return f"query {{ ...F0 }} {fragments} fragment F{levels} on Query {{ __typename }}"


@pytest.mark.django_db
def test_a_document_with_more_fragments_than_the_bound_is_refused_by_count(gql):
    # given: a chain of MAX_FRAGMENTS fragments in all, and one of a fragment more
    within, beyond = single_chain(MAX_FRAGMENTS - 1), single_chain(MAX_FRAGMENTS)

    # when
    accepted = gql.query(within)
    refused = gql.query(beyond, assert_no_errors=False)

    # then
    assert accepted.data == {"__typename": "Query"}
    assert refused.data is None
    assert refused.errors == [{"message": "The document defines 65 fragments; at most 64 are allowed."}]


@pytest.mark.django_db
def test_one_name_selected_more_than_the_bound_at_one_place_is_refused_by_name(gql, owner):
    # given: 20 copies are merged as usual; the 21st, here through an inline fragment, is one too many
    within = "{ " + " ".join(["me { email }"] * MAX_SAME_NAME) + " }"
    beyond = "{ " + " ".join(["me { email }"] * MAX_SAME_NAME) + " ... on Query { me { email } } }"

    # when
    with gql.login(owner):
        accepted = gql.query(within)
        refused = gql.query(beyond, assert_no_errors=False)

    # then
    assert accepted.data == {"me": {"email": "owner@example.com"}}
    assert refused.data is None
    assert refused.errors == [
        {
            "message": "'me' is selected 21 times at one place; at most 20 are allowed.",
            "locations": [{"line": 1, "column": 3}],
        }
    ]


@pytest.mark.django_db
def test_repeats_below_one_place_are_counted_where_they_merge(gql, owner):
    # given: 2 `me` fields (fine), whose 11 + 10 `email` fields merge at `me`
    query = "{ me { " + "email " * 11 + "} me { ...E } } fragment E on User { " + "email " * 10 + "}"

    # when
    with gql.login(owner):
        result = gql.query(query, assert_no_errors=False)

    # then
    assert result.data is None
    assert [error["message"] for error in result.errors] == [
        "'email' is selected 21 times at one place; at most 20 are allowed."
    ]


@pytest.mark.django_db
def test_a_comment_or_other_spacing_is_answered_from_the_validation_cache(gql):
    # given
    ValidationCache._results.clear()

    # when
    first = gql.query("{ __typename }")
    second = gql.query("# another comment\n{\n  __typename\n}\n")

    # then
    assert first.data == second.data == {"__typename": "Query"}
    assert len(ValidationCache._results) == 1
