from typing import Annotated

import strawberry
import strawberry_django
from strawberry import UNSET

from accounts import services
from graphql_schema.accounts.types import AccountNotice, UserType
from graphql_schema.context import Info, viewer
from graphql_schema.permissions import IsAuthenticated


def _request(info: Info):
    return info.context.request


@strawberry.type
class AccountsMutation:
    @strawberry_django.mutation(
        description=(
            "Log in with e-mail and password; starts a session (cookie). Send the `csrftoken` cookie "
            "back as the `X-CSRFToken` header on later requests. Refused, with the reason, for an "
            "unverified or blocked account; failed attempts are limited per e-mail address and per "
            "IP (code `throttled`, the message says how many seconds to wait)."
        )
    )
    def login(self, info: Info, email: str, password: str) -> UserType:
        return services.user_login(request=_request(info), email=email, password=password)

    @strawberry_django.mutation(description="End the session. Always true.", handle_django_errors=False)
    def logout(self, info: Info) -> bool:
        services.user_logout(request=_request(info))
        return True

    @strawberry_django.input_mutation(
        description=(
            "Create an account. It can log in once its address is verified: we e-mail a link "
            "(`/accounts/verify/<token>/`, or pass the token to `verifyEmail`). The answer is the same "
            "whether or not the address already has an account."
        )
    )
    def register(
        self,
        info: Info,
        email: str,
        password: str,
        full_name: str = "",
        time_zone: Annotated[
            str | None,
            strawberry.argument(description="Your IANA time zone (e.g. `Europe/Moscow`); defaults to `UTC`."),
        ] = None,
        language: Annotated[
            str | None,
            strawberry.argument(description="`ru` or `en`; defaults to the request's language."),
        ] = None,
    ) -> AccountNotice:
        email = services.user_register(
            request=_request(info),
            email=email,
            password=password,
            full_name=full_name,
            time_zone=time_zone,
            language=language,
        )
        return AccountNotice(email=email, message=services.REGISTERED % {"email": email})

    @strawberry_django.mutation(
        description="Verify an address with the token from the e-mailed link. A token works once and expires."
    )
    def verify_email(self, info: Info, token: str) -> AccountNotice:
        user = services.user_verify_email(token=token, viewer=viewer(info))
        return AccountNotice(email=user.email, message=str(services.EMAIL_VERIFIED))

    @strawberry_django.mutation(
        description="Send a new verification link. The answer is the same whatever the address."
    )
    def resend_verification(self, info: Info, email: str) -> AccountNotice:
        email = services.verification_resend(request=_request(info), email=email)
        return AccountNotice(email=email, message=str(services.VERIFICATION_RESENT))

    @strawberry_django.mutation(
        description=(
            "E-mail a link to choose a new password (`/accounts/reset/<token>/`, or pass the token to "
            "`resetPassword`). The answer is the same whatever the address."
        )
    )
    def request_password_reset(self, info: Info, email: str) -> AccountNotice:
        email = services.password_reset_request(request=_request(info), email=email)
        return AccountNotice(email=email, message=str(services.PASSWORD_RESET_REQUESTED))

    @strawberry_django.mutation(
        description=(
            "Set a new password with the token from a reset link; every session of the account ends. "
            "A password that is refused leaves the token usable."
        )
    )
    def reset_password(self, info: Info, token: str, new_password: str) -> AccountNotice:
        user = services.password_reset(token=token, new_password=new_password, viewer=viewer(info))
        return AccountNotice(email=user.email, message=str(services.PASSWORD_RESET_DONE))

    @strawberry_django.mutation(
        extensions=[IsAuthenticated()],
        description="Change your password. This session stays logged in; your other sessions end.",
    )
    def change_password(self, info: Info, old_password: str, new_password: str) -> UserType:
        return services.password_change(
            request=_request(info), user=viewer(info), old_password=old_password, new_password=new_password
        )

    @strawberry_django.input_mutation(
        extensions=[IsAuthenticated()],
        description=(
            "Change your name, language or time zone; a field left out stays as it is. The language "
            "applies at once (this answer is in it); the zone is the default of your new mailings."
        ),
    )
    def update_profile(
        self,
        info: Info,
        full_name: Annotated[str | None, strawberry.argument(description="Your name as you want it shown.")] = UNSET,
        language: Annotated[str | None, strawberry.argument(description="`ru` or `en`.")] = UNSET,
        time_zone: Annotated[
            str | None, strawberry.argument(description="An IANA time zone name, e.g. `Europe/Moscow`.")
        ] = UNSET,
    ) -> UserType:
        data = {
            name: value
            for name, value in {"full_name": full_name, "language": language, "time_zone": time_zone}.items()
            if value is not UNSET
        }
        return services.user_update_profile(user=viewer(info), data=data)
