"""The admins' app form: the same rules as the API, checked once in core.chat_apps.app_save."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from pushclient.client import REGIONS

from .chat_apps import EDITABLE, EDITABLE_FROM_SETTINGS, app_errors
from .zones import ZoneField


class AppForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False,
                           help_text=_("As people know it, e.g. “Shop China”"))
    slug = forms.CharField(label=_("Short name"), max_length=40, required=False,
                           help_text=_("In addresses and the API's \"app\" field, e.g. shop-cn"))
    sdkappid = forms.IntegerField(label=_("SDKAppID"), required=False,
                                  help_text=_("From Tencent's console, e.g. 1400000000"))
    region = forms.ChoiceField(label=_("Region"), required=False,
                               choices=[("", "—")] + [(r, r) for r in REGIONS])
    base_url = forms.CharField(label=_("API address"), max_length=200, required=False,
                               help_text=_("Only instead of a region (an emulator, a proxy)"))
    admin_identifier = forms.CharField(label=_("Admin account"), max_length=64, required=False,
                                       initial="administrator")
    secret_key = forms.CharField(label=_("Secret key"), max_length=200, required=False,
                                 widget=forms.PasswordInput(render_value=False),
                                 help_text=_("Stored encrypted, never shown again; leave empty "
                                             "to keep the one stored"))
    callback_token = forms.CharField(label=_("Callback token"), max_length=200, required=False,
                                     widget=forms.PasswordInput(render_value=False),
                                     help_text=_("The console's callback authentication token; "
                                                 "leave empty to keep the one stored"))
    daily_limit = forms.IntegerField(label=_("Daily push limit"), required=False,
                                     help_text=_("Empty: the install's default (100 unless "
                                                 "more were bought)"))
    quota_timezone = ZoneField(label=_("Quota day's time zone"), required=False,
                               help_text=_("Tencent's quota day runs midnight to midnight "
                                           "Beijing time unless the console says otherwise"))
    calls_per_second = forms.IntegerField(label=_("Calls a second"), required=False,
                                          initial=100)
    batch_calls_per_second = forms.IntegerField(label=_("Test sends a second"), required=False,
                                                initial=30, help_text=_("10, 30 or 40 by edition"))
    staging = forms.BooleanField(label=_("Staging app"), required=False,
                                 help_text=_("Marked on every page, so nobody sends from it by "
                                             "mistake"))
    people = forms.ModelMultipleChoiceField(
        label=_("People"), required=False, queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Who works in this app (admins work in every app)"))

    def __init__(self, *args, app=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app
        self.fields["people"].queryset = get_user_model().objects.filter(
            is_active=True).order_by("username")
        if app is None or not app.from_settings:
            self.fields["people"].help_text = _(
                "Who works in this app (admins work in every app). A person given any app "
                "works only in the apps given to them: to keep the default app as well, give "
                "them that one too.")
        if app is not None and app.from_settings:
            for name in set(EDITABLE) - set(EDITABLE_FROM_SETTINGS) | {"secret_key",
                                                                       "callback_token"}:
                del self.fields[name]

    def values(self) -> dict:
        """What the admin set, for app_save: every field shown, but empty ones on a new app
        take their defaults."""
        data = self.cleaned_data
        return {name: data[name] for name in EDITABLE if name in self.fields and name in data
                and (self.app is not None or name == "daily_limit"
                     or data[name] not in (None, ""))}

    def clean(self):
        data = super().clean()
        if self.errors:  # a field of the wrong type: the app's other rules are said too
            for field, messages in app_errors(
                    values=self.values(), app=self.app, secret_key=data.get("secret_key"),
                    callback_token=data.get("callback_token") or None).items():
                if field in self.fields and field not in self.errors:
                    for message in messages:
                        self.add_error(field, message)
        return data
