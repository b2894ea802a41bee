import strawberry
import strawberry_django
from django.conf import settings
from strawberry import relay
from strawberry_django.relay import DjangoListConnection

from blog import selectors, services
from graphql_schema.blog.types import PostType
from graphql_schema.context import Info, viewer
from graphql_schema.relay import node_pk


@strawberry.type
class BlogQuery:
    posts: DjangoListConnection[PostType] = strawberry_django.connection(
        description="Published posts, newest first. Listing does not count views."
    )

    @strawberry_django.field(
        description=(
            "A published post; reading it in a POST request counts one view (a GET query, which any "
            "page on the web can make with the reader's cookie, counts none). Null when there is none."
        )
    )
    def post(self, info: Info, id: relay.GlobalID) -> PostType | None:
        counted = info.context.request.method == "POST"
        return services.post_read(viewer=viewer(info), pk=node_pk(id, PostType), count_view=counted)

    @strawberry_django.field(
        description=(
            f"Up to `count` (0 to {settings.BLOG_RANDOM_POSTS_MAX}) distinct published posts chosen at random; "
            "fewer when fewer are published. Does not count views."
        )
    )
    def random_posts(self, info: Info, count: int = 3) -> list[PostType]:
        return selectors.post_random(viewer=viewer(info), count=count)
