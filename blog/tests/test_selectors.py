from datetime import timedelta

import pytest
from django.utils import timezone

from blog import selectors
from blog.tests.factories import PostFactory


@pytest.mark.django_db
def test_readers_see_published_posts_whose_date_has_come():
    # given
    visible = PostFactory()
    PostFactory(is_published=False)
    PostFactory(published_at=timezone.now() + timedelta(days=1))
    PostFactory(published_at=None)

    # when
    posts = list(selectors.post_list())

    # then
    assert posts == [visible]


@pytest.mark.django_db
def test_post_get_finds_no_draft_and_no_nonsense_id():
    # given
    draft = PostFactory(is_published=False)
    post = PostFactory()

    # when / then
    assert selectors.post_get(pk=post.pk) == post
    assert selectors.post_get(pk=str(post.pk)) == post
    assert selectors.post_get(pk=draft.pk) is None
    assert selectors.post_get(pk="x") is None
    assert selectors.post_get(pk=2**63) is None


@pytest.mark.django_db
def test_random_posts_are_distinct_and_published_only(django_assert_num_queries):
    # given
    published = set(PostFactory.create_batch(6))
    PostFactory.create_batch(5, is_published=False)

    for _ in range(20):
        # when
        with django_assert_num_queries(4):
            posts = selectors.post_random(count=3)

        # then
        assert len(posts) == 3
        assert len(set(posts)) == 3
        assert set(posts) <= published


@pytest.mark.django_db
def test_random_posts_cover_every_published_post_over_many_draws():
    # given
    published = set(PostFactory.create_batch(5))

    # when
    seen = set()
    for _ in range(60):
        seen.update(selectors.post_random(count=2))

    # then (missing one of five in 60 draws of two has a probability below 1e-12)
    assert seen == published


@pytest.mark.django_db
def test_fewer_random_posts_when_fewer_are_published(django_assert_num_queries):
    # given
    one, two = PostFactory.create_batch(2)
    PostFactory(is_published=False)

    # when
    with django_assert_num_queries(3):
        posts = selectors.post_random(count=3)

    # then
    assert sorted(posts, key=lambda post: post.pk) == [one, two]


@pytest.mark.django_db
def test_no_random_posts_when_none_is_published(django_assert_num_queries):
    # given
    PostFactory(is_published=False)

    # when
    with django_assert_num_queries(1):
        posts = selectors.post_random(count=3)

    # then
    assert posts == []


@pytest.mark.django_db
def test_random_posts_count_out_of_range_is_refused():
    # when / then
    with pytest.raises(ValueError, match=r"^Argument 'count' must be between 0 and 10; got 11\.$"):
        selectors.post_random(count=11)
    with pytest.raises(ValueError, match=r"^Argument 'count' must be between 0 and 10; got -1\.$"):
        selectors.post_random(count=-1)
