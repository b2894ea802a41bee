import strawberry_django
from django.urls import reverse
from strawberry import auto, relay

from blog import models, selectors
from graphql_schema.context import Info, viewer
from graphql_schema.fields import django_type


def _absolute(info: Info, url: str) -> str:
    return info.context.request.build_absolute_uri(url)


@django_type(models.Post, name="Post", description="A published blog post.")
class PostType(relay.Node):
    title: auto
    body: auto
    published_at: auto
    view_count: auto

    @strawberry_django.field(only=["image"], description="The full-size picture's URL; null when it has none.")
    def image_url(self, info: Info) -> str | None:
        return _absolute(info, self.image.url) if self.image else None

    @strawberry_django.field(only=["thumbnail"], description="A small copy of the picture (480x320 at most).")
    def thumbnail_url(self, info: Info) -> str | None:
        return _absolute(info, self.thumbnail.url) if self.thumbnail else None

    @strawberry_django.field(only=["id"], description="The post's own web page.")
    def page_url(self, info: Info) -> str:
        return _absolute(info, reverse("blog:post", args=[self.pk]))

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.post_list(viewer=viewer(info), base=queryset)
