from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog

from accounts.views import set_language
from core import catalog, views
from graphql_schema.views import graphql_view
from mailing.identities.views import verify_sender
from mailing.views import unsubscribe

urlpatterns = [
    path("", views.home, name="home"),
    path("blog/", include("blog.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("app/", include("core.app_urls")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("jsi18n/<str:language>/<str:version>.js", catalog.javascript_catalog, name="javascript-catalog-versioned"),
    path("graphql/", graphql_view(), name="graphql"),
    path("unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
    path("senders/verify/<str:token>/", verify_sender, name="verify-sender"),
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", views.media, name="media"),
]
