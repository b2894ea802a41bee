from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.zones import available_time_zones


class UserCreationForm(auth_forms.UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


def _time_zone_choices():
    return [(name, name) for name in sorted(available_time_zones())]


class UserChangeForm(auth_forms.UserChangeForm):
    """The admin's user form. Language and time zone are picked from lists; a form posted
    without them (a script written before they existed) keeps the user's current ones."""

    language = forms.ChoiceField(
        choices=lambda: settings.LANGUAGES,
        required=False,
        help_text=User._meta.get_field("language").help_text,
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=_time_zone_choices,
        required=False,
        help_text=User._meta.get_field("time_zone").help_text,
    )

    class Meta:
        model = User
        fields = "__all__"

    def _kept(self, name: str) -> str:
        return self.cleaned_data.get(name) or getattr(self.instance, name)

    def clean_language(self) -> str:
        return self._kept("language")

    def clean_time_zone(self) -> str:
        return self._kept("time_zone")


class ResetPasswordForm(forms.Form):
    """The page behind a password reset link; the service validates the password's strength."""

    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        max_length=1000,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="New password again",
        strip=False,
        max_length=1000,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error(
                "new_password2", forms.ValidationError(_("The two passwords differ."), code="password_mismatch")
            )
        return cleaned
