import strawberry
import strawberry_django

from accounts import services
from graphql_schema.accounts.types import UserType
from graphql_schema.context import Info


@strawberry.type
class AccountsMutation:
    @strawberry_django.mutation(
        description=(
            "Log in with e-mail and password; starts a session (cookie). Send the `csrftoken` cookie "
            "back as the `X-CSRFToken` header on later requests."
        )
    )
    def login(self, info: Info, email: str, password: str) -> UserType:
        return services.user_login(request=info.context.request, email=email, password=password)

    @strawberry_django.mutation(description="End the session. Always true.", handle_django_errors=False)
    def logout(self, info: Info) -> bool:
        services.user_logout(request=info.context.request)
        return True
