from django.urls import path

from core import app_views, dev_mail
from mailing import views as mailing_views

app_name = "app"

urlpatterns = [
    path("", app_views.dashboard, name="dashboard"),
    path("account/", app_views.account, name="account"),
    path("clients/", app_views.clients, name="clients"),
    path("messages/", app_views.messages, name="messages"),
    path("mailings/", app_views.mailings, name="mailings"),
    path("mailings/<str:mailing_id>/", app_views.mailing, name="mailing"),
    path("mailings/<str:mailing_id>/log.csv", mailing_views.mailing_log_csv, name="mailing-log-csv"),
    path("messages/preview/", mailing_views.message_preview, name="message-preview"),
    path("senders/", app_views.senders, name="senders"),
    path("manage/", app_views.manage, name="manage"),
    path("dev/mail/", dev_mail.mail_list, name="dev-mail"),
    path("dev/mail/<str:name>/", dev_mail.mail_detail, name="dev-mail-detail"),
]
