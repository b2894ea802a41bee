from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.forms import UserChangeForm, UserCreationForm
from accounts.models import User
from core.admin import ManagersMayView


class _SetFilter(admin.SimpleListFilter):
    """Yes/no on whether a moment field is set."""

    field = ""

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in {"yes", "no"}:
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})
        return queryset


class VerifiedFilter(_SetFilter):
    title = "e-mail verified"
    parameter_name = "verified"
    field = "email_verified_at"


class BlockedFilter(_SetFilter):
    title = "blocked"
    parameter_name = "blocked"
    field = "blocked_at"


@admin.register(User)
class UserAdmin(ManagersMayView, BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "verified", "blocked", "roles", "is_staff", "is_active", "date_joined"]
    list_filter = [VerifiedFilter, BlockedFilter, "groups", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name", "language", "time_zone"]}),
        ("Verification and blocking", {"fields": ["email_verified_at", "blocked_at", "blocked_reason"]}),
        ("Roles and permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(boolean=True, ordering="email_verified_at", description="verified")
    def verified(self, user):
        return user.email_verified_at is not None

    @admin.display(boolean=True, ordering="blocked_at", description="blocked")
    def blocked(self, user):
        return user.blocked_at is not None

    @admin.display(description="roles")
    def roles(self, user):
        names = sorted(group.name for group in user.groups.all())
        return ", ".join(["Superuser", *names] if user.is_superuser else names) or "—"
