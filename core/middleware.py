from django.conf import settings
from django.middleware.gzip import GZipMiddleware
from django.utils import translation


class UserLanguageMiddleware:
    """A signed-in user's own language wins over the cookie and Accept-Language.

    Runs after LocaleMiddleware (which read those) and AuthenticationMiddleware. An anonymous
    request costs nothing: the user is only loaded when the session names one.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.codes = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", None) if user is not None and user.is_authenticated else None
        if language in self.codes and language != translation.get_language():
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class TextGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (with its BREACH mitigation), for text only: pages, API answers, CSV.

    Sits below WhiteNoiseMiddleware, whose static files are compressed once at collectstatic;
    images and other media are compressed already, so they pass as they are.
    """

    TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/graphql-response+json")

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(self.TEXT_TYPES):
            return response
        return super().process_response(request, response)
