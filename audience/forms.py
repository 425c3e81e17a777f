"""Forms for preparing an audience, on the dashboard's Audiences page and in Django admin. They
read what a person typed; the rules of tags, attributes and accounts are the services'."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from core.text import items_from_text

from .models import Job, Segment


class SegmentUploadForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    accounts_file = forms.FileField(
        label=_("Accounts file"), required=False,
        help_text=_("One account id per line, or a CSV file (UTF-8)."))
    column = forms.CharField(
        label=_("Column"), required=False,
        help_text=_("For a CSV: the name (or number, from 0) of the column that "
                    "holds the account ids. The preview below suggests one."),
        widget=forms.TextInput(attrs={"list": "csv-columns", "autocomplete": "off"}))
    pasted = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}),
                             label=_("Or paste accounts"),
                             help_text=_("One account id per line."))


class AudienceUploadForm(SegmentUploadForm):
    """The dashboard's upload: the same fields, with the formats shown by example (the help
    texts hold <code> examples, rendered as they are)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accounts_file"].help_text = mark_safe(_(
            "A text file with one account id per line (e.g. <code>user1001</code>), or a CSV "
            "file with a column of account ids, saved as UTF-8."))
        self.fields["column"].help_text = mark_safe(_(
            "Only for a CSV: the name of the column that holds the account ids (e.g. "
            "<code>user_id</code>), or its number counted from 0."))
        self.fields["pasted"].help_text = _("Instead of a file: one account id per line, or several "
                                            "separated by , ，；、")


# The three actions the dashboard offers: what a marketer's audience needs. Django admin keeps
# the others (remove every tag, remove attributes).
DASHBOARD_ACTIONS = [(Job.Action.ADD_TAGS, _("Add tags")),
                     (Job.Action.REMOVE_TAGS, _("Remove tags")),
                     (Job.Action.SET_ATTRS, _("Set an attribute to a value"))]


class AudienceJobForm(forms.Form):
    segment = forms.ModelChoiceField(
        label=_("Segment"), queryset=Segment.objects.none(),
        help_text=_("The accounts the job changes: a segment uploaded above."))
    action = forms.ChoiceField(label=_("Action"), choices=DASHBOARD_ACTIONS,
                               widget=forms.RadioSelect, initial=Job.Action.ADD_TAGS)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=2000)
    attribute = forms.ChoiceField(label=_("Attribute"), required=False)
    value = forms.CharField(label=_("Value"), required=False, max_length=200)

    def __init__(self, *args, app, attr_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        # The app's segments only: another app's accounts are other people.
        self.fields["segment"].queryset = Segment.objects.filter(app=app).exclude(
            status=Segment.Status.FAILED)
        prefix = escape(settings.LOCAL_TIME_TAG_PREFIX)
        self.fields["tags"].help_text = mark_safe(_(
            "For adding or removing tags: up to 10, separated by commas, each at most 50 bytes "
            "(e.g. <code>vip, spring-sale</code>). A time-zone tag, for delivery at each user's "
            "local time, is <code>%(prefix)s</code> followed by an IANA time zone: "
            "<code>%(prefix)sAsia/Tokyo</code>, <code>%(prefix)sEurope/Berlin</code>, "
            "<code>%(prefix)sAmerica/New_York</code>.") % {"prefix": prefix})
        self.fields["attribute"].choices = [("", "—")] + [(n, n) for n in attr_names]
        self.fields["attribute"].help_text = _(
            "For setting an attribute: one of the app's attribute names, which an admin names "
            "(below, on this page).")
        self.fields["value"].help_text = mark_safe(_(
            "At most 50 bytes. A time-zone attribute (<code>tz</code>, <code>timezone</code>) "
            "takes an IANA time zone such as <code>Asia/Tokyo</code> or "
            "<code>Europe/Berlin</code>, never a city alone (<code>Berlin</code>) or an offset "
            "(<code>UTC+9</code>). A language attribute takes a language code such as "
            "<code>en</code> or <code>zh-Hans</code>."))

    def job_input(self) -> dict:
        """The service's arguments: only what the chosen action uses."""
        data = self.cleaned_data
        if data["action"] == Job.Action.SET_ATTRS:
            attrs = {data["attribute"]: data["value"].strip()} if data["attribute"] else {}
            return {"action": data["action"], "tags": [], "attrs": attrs}
        return {"action": data["action"], "tags": items_from_text(data["tags"]), "attrs": {}}

    # The service's error keys, on the field a person filled in.
    FIELD_OF = {"tags": "tags", "attrs": "value", "segment": "segment", "action": "action"}

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, problems in errors.items():
            field = self.FIELD_OF.get(key)
            if key == "attrs" and not self.cleaned_data.get("attribute"):
                field = "attribute"
            for problem in problems:
                self.add_error(field, problem)


class AccountLookupForm(forms.Form):
    account = forms.CharField(label=_("Account id"), max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Here, not on the field: marked safe, the words are fixed in the reader's language.
        self.fields["account"].help_text = mark_safe(_("As the app knows it, e.g. "
                                                       "<code>user1001</code>."))


class AttributeNameForm(forms.Form):
    """An admin names the app's next free attribute (e.g. tz) without leaving the page; Tencent's
    rules for names are the service's one check."""

    name = forms.CharField(label=_("New attribute name"), max_length=64)

    def __init__(self, *args, **kwargs):
        # Ids of its own: the Audiences page also holds the upload form's "name".
        kwargs.setdefault("auto_id", "id_attribute_%s")
        super().__init__(*args, **kwargs)
        self.fields["name"].help_text = mark_safe(_(
            "For time zones, e.g. <code>tz</code>: then set it to an IANA zone such as "
            "<code>Asia/Tokyo</code> on a segment."))
