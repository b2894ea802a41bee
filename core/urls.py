from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from graphql_schema.views import graphql_view
from mailing.views import unsubscribe

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("graphql/", graphql_view(), name="graphql"),
    path("unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
]
