from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from strawberry.django.views import GraphQLView

from graphql_schema.schema import schema


@method_decorator(ensure_csrf_cookie, name="dispatch")
class CsrfGraphQLView(GraphQLView):
    """The GraphQL endpoint. Any response sets the `csrftoken` cookie, which a POST must send
    back in the `X-CSRFToken` header (Django's CSRF middleware checks it); `/accounts/csrf/`
    also returns it in its body, for a page on another origin.

    GraphiQL is served only while GRAPHIQL is on (read on each request).
    """

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        # Whether the request ended signed in: a page opened in a session that has since ended
        # (logged out elsewhere, blocked) sees "0" and goes to the login page.
        response["X-Signed-In"] = "1" if request.user.is_authenticated else "0"
        return response

    def render_graphql_ide(self, request) -> HttpResponse:
        if not settings.GRAPHIQL:
            return HttpResponseNotFound("Not Found", content_type="text/plain")
        return super().render_graphql_ide(request)


def graphql_view():
    return CsrfGraphQLView.as_view(schema=schema, graphql_ide="graphiql")
