import json
from datetime import timedelta

import pytest
from django.utils import timezone

from blog import services
from blog.models import Post
from blog.tests.factories import PostFactory, picture
from graphql_schema.tests.helpers import gid

POSTS = """query($after: String) {
  posts(first: 2, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id title viewCount publishedAt imageUrl thumbnailUrl pageUrl } }
  }
}"""

POST = "query($id: ID!) { post(id: $id) { title body viewCount } }"

RANDOM = "query($count: Int) { randomPosts(count: $count) { id title } }"


@pytest.mark.django_db
def test_posts_lists_published_posts_newest_first_in_one_query(gql, django_assert_num_queries):
    # given
    now = timezone.now()
    old = PostFactory(title="Old", published_at=now - timedelta(days=3))
    new = PostFactory(title="New", published_at=now - timedelta(days=1))
    middle = PostFactory(title="Middle", published_at=now - timedelta(days=2))
    PostFactory(title="Draft", is_published=False)
    PostFactory(title="Tomorrow", published_at=now + timedelta(days=1))

    # when
    with django_assert_num_queries(1):
        first = gql.query(POSTS).data["posts"]
    second = gql.query(POSTS, {"after": first["pageInfo"]["endCursor"]}).data["posts"]

    # then
    assert first["totalCount"] == 3
    assert [edge["node"]["title"] for edge in first["edges"]] == ["New", "Middle"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [edge["node"]["title"] for edge in second["edges"]] == ["Old"]
    assert [edge["node"]["id"] for edge in first["edges"] + second["edges"]] == [
        gid("Post", new.pk),
        gid("Post", middle.pk),
        gid("Post", old.pk),
    ]
    assert Post.objects.get(pk=new.pk).view_count == 0  # listing counts no view


@pytest.mark.django_db
def test_post_urls_are_absolute(gql):
    # given
    post = services.post_create(title="Pictured", body="Text", image=picture(), is_published=True)

    # when
    node = gql.query(POSTS).data["posts"]["edges"][0]["node"]

    # then
    assert node["imageUrl"] == f"http://testserver/media/{post.image.name}"
    assert node["thumbnailUrl"] == f"http://testserver/media/{post.thumbnail.name}"
    assert node["pageUrl"] == f"http://testserver/blog/{post.pk}/"


@pytest.mark.django_db
def test_a_post_without_an_image_has_null_urls(gql):
    # given
    PostFactory()

    # when
    node = gql.query(POSTS).data["posts"]["edges"][0]["node"]

    # then
    assert (node["imageUrl"], node["thumbnailUrl"]) == (None, None)


@pytest.mark.django_db
def test_reading_a_post_counts_one_view_each_time(gql):
    # given
    post = PostFactory(title="Read me", body="Body", view_count=7)

    # when
    first = gql.query(POST, {"id": gid("Post", post.pk)}).data["post"]
    second = gql.query(POST, {"id": gid("Post", post.pk)}).data["post"]

    # then
    assert first == {"title": "Read me", "body": "Body", "viewCount": 8}
    assert second["viewCount"] == 9
    assert Post.objects.get(pk=post.pk).view_count == 9


@pytest.mark.django_db
def test_a_get_query_of_a_post_counts_no_view(client):
    # given: any page on the web can make the reader's browser send this GET, with their cookie
    post = PostFactory(title="Read me", view_count=7)
    variables = json.dumps({"id": gid("Post", post.pk)})

    # when
    response = client.get("/graphql/", {"query": POST, "variables": variables}, HTTP_ACCEPT="application/json")

    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"post": {"title": "Read me", "body": post.body, "viewCount": 7}}}
    assert Post.objects.get(pk=post.pk).view_count == 7


@pytest.mark.django_db
def test_a_draft_or_another_types_id_reads_as_null(gql):
    # given
    draft = PostFactory(is_published=False)
    post = PostFactory()

    # when
    as_draft = gql.query(POST, {"id": gid("Post", draft.pk)}).data["post"]
    as_client = gql.query(POST, {"id": gid("Client", post.pk)}).data["post"]

    # then
    assert (as_draft, as_client) == (None, None)
    assert list(Post.objects.values_list("view_count", flat=True)) == [0, 0]


@pytest.mark.django_db
def test_random_posts_are_three_distinct_published_posts_by_default(gql):
    # given
    published = {gid("Post", post.pk) for post in PostFactory.create_batch(5)}
    PostFactory.create_batch(3, is_published=False)

    # when
    posts = gql.query("{ randomPosts { id } }").data["randomPosts"]

    # then
    ids = [post["id"] for post in posts]
    assert len(ids) == 3
    assert len(set(ids)) == 3
    assert set(ids) <= published


@pytest.mark.django_db
def test_random_posts_returns_fewer_when_fewer_are_published(gql):
    # given
    only = PostFactory(title="Only")
    PostFactory(is_published=False)

    # when
    posts = gql.query(RANDOM, {"count": 3}).data["randomPosts"]

    # then
    assert posts == [{"id": gid("Post", only.pk), "title": "Only"}]


@pytest.mark.django_db
def test_random_posts_refuses_a_count_out_of_range(gql):
    # when
    result = gql.query(RANDOM, {"count": 1000}, assert_no_errors=False)

    # then
    assert result.data is None
    assert [error["message"] for error in result.errors] == ["Argument 'count' must be between 0 and 10; got 1000."]
