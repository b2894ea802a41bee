"""The mailing domain in the admin: for oversight and support.

Owners create and edit their clients, messages and mailings through the API, where the rules
that tie them to their owner live; here staff watch them, disable a mailing, or delete rows
(through the services, so that the home figures follow). A mailing's status is moved by the
delivery engine only.
"""

from django.contrib import admin
from django.db.models import Count

from core.admin import ManagersMayView
from mailing.models import Client, DeliveryAttempt, Mailing, MailingRun, Message
from mailing.services import clients as client_services
from mailing.services import mailings as mailing_services
from mailing.stats import home_stats_invalidate


class OversightAdmin(ManagersMayView, admin.ModelAdmin):
    """Rows are added through the API; here every field but `editable_fields` is read-only."""

    editable_fields: tuple[str, ...] = ()
    hidden_fields: tuple[str, ...] = ()
    computed_fields: tuple[str, ...] = ()

    def has_add_permission(self, request):
        return False

    def get_fields(self, request, obj=None):
        hidden = {*self.hidden_fields, "id"}
        return [field.name for field in self.model._meta.concrete_fields if field.name not in hidden] + list(
            self.computed_fields
        )

    def get_readonly_fields(self, request, obj=None):
        return [field for field in self.get_fields(request, obj) if field not in self.editable_fields]


@admin.register(Client)
class ClientAdmin(OversightAdmin):
    list_display = ["email", "full_name", "owner", "created_at"]
    list_select_related = ["owner"]
    search_fields = ["email", "full_name", "owner__email"]
    list_filter = ["created_at"]
    date_hierarchy = "created_at"
    hidden_fields = ("email_key",)

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        client_services.client_delete(client=obj)

    def delete_queryset(self, request, queryset):
        for client in queryset:
            client_services.client_delete(client=client)


@admin.register(Message)
class MessageAdmin(OversightAdmin):
    list_display = ["subject", "owner", "mailing_count", "created_at"]
    list_select_related = ["owner"]
    search_fields = ["subject", "body", "owner__email"]
    list_filter = ["created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(mailing_count=Count("mailings"))

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(ordering="mailing_count", description="mailings")
    def mailing_count(self, message):
        return message.mailing_count


@admin.register(Mailing)
class MailingAdmin(OversightAdmin):
    list_display = [
        "__str__",
        "owner",
        "periodicity",
        "status",
        "is_active",
        "start_at",
        "end_at",
        "next_run_at",
        "recipient_count",
    ]
    list_select_related = ["owner", "message"]
    list_filter = ["status", "periodicity", "is_active"]
    search_fields = ["message__subject", "owner__email"]
    date_hierarchy = "start_at"
    editable_fields = ("is_active",)
    computed_fields = ("recipient_count",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(recipient_count=Count("clients"))

    @admin.display(ordering="recipient_count", description="recipients")
    def recipient_count(self, mailing):
        return mailing.recipient_count

    def save_model(self, request, obj, form, change):
        # Only the switch is editable here.
        obj.save(update_fields=["is_active", "updated_at"])
        home_stats_invalidate()

    def delete_model(self, request, obj):
        mailing_services.mailing_delete(mailing=obj)

    def delete_queryset(self, request, queryset):
        for mailing in queryset:
            mailing_services.mailing_delete(mailing=mailing)


class DeliveryLogAdmin(OversightAdmin):
    """The engine's rows: read-only for everyone (statuses move through the engine alone)."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MailingRun)
class MailingRunAdmin(DeliveryLogAdmin):
    list_display = ["mailing", "scheduled_for", "trigger", "status", "started_at", "finished_at", "paused_until"]
    list_select_related = ["mailing__message"]
    list_filter = ["status", "trigger"]
    search_fields = ["mailing__message__subject", "mailing__owner__email"]
    date_hierarchy = "scheduled_for"


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(DeliveryLogAdmin):
    list_display = ["email", "status", "attempts", "last_attempt_at", "smtp_code", "server_response", "run"]
    list_select_related = ["run__mailing__message"]
    list_filter = ["status"]
    search_fields = ["email", "message_id"]
    raw_id_fields = ["run", "client"]
    # The log grows by a row per recipient and run: no total count on every page.
    show_full_result_count = False
