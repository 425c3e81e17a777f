"""The campaign editor: human fields in, an im_push body out (errors are the payload rules'); the
forms that repeat a campaign on a rule and split it by time zone."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audience.selectors import attribute_names
from core.errors import InvalidInput
from core.payload_words import field_words
from core.text import items_from_text, json_or_error
from core.times import is_zone, local_to_aware
from core.widgets import DateInput, DateTimeInput, TimeInput
from core.zones import ZoneField, ZoneInput

from .models import Series
from .recurring import WEEKDAY_WORDS, WEEKDAYS, build_rrule
from .services import push_errors
from .states import approval_required

ELEMENT_PATH_PREFIX = "MsgBody["


LIFETIME_UNITS = {"online": 0, "minutes": 60, "hours": 3600, "days": 86400}
ATTR_ROWS = 4
TAGS_HELP = _("At most 10, separated by commas (, ，、), semicolons or new lines")


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time, kept naive: the campaign's own zone applies, not the viewer's."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        for fmt in self.input_formats:
            try:
                return dt.datetime.strptime(str(value).strip(), fmt)
            except (ValueError, TypeError):
                continue
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def has_changed(self, initial, data):
        """The widget shows minutes: a stored 09:30:42 comes back as 09:30, unchanged."""
        try:
            submitted = self.to_python(data)
        except forms.ValidationError:
            return True
        stored = self.to_python(initial)
        def minute(value):
            return value.replace(second=0, microsecond=0, fold=0) if value else None
        return minute(stored) != minute(submitted)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    msg_body = forms.CharField(label=_("Message"), widget=forms.HiddenInput, initial="[]")
    audience = forms.ChoiceField(label=_("Audience"), widget=forms.RadioSelect, initial="everyone",
                                 choices=[("everyone", _("Everyone")),
                                          ("tags", _("Users with tags")),
                                          ("attrs", _("Users with attributes"))])
    # Both suggest the tags the audience mirror knows (the editor's <datalist id="known-tags">).
    tags_all = forms.CharField(label=_("All of these tags"), required=False,
                               help_text=TAGS_HELP,
                               widget=forms.TextInput(attrs={"list": "known-tags"}))
    tags_any = forms.CharField(label=_("Any of these tags"), required=False,
                               help_text=TAGS_HELP,
                               widget=forms.TextInput(attrs={"list": "known-tags"}))
    push_enabled = forms.BooleanField(label=_("Offline push"), required=False, initial=True)
    title = forms.CharField(label=_("Title"), required=False)
    desc = forms.CharField(label=_("Text"), required=False)
    ext = forms.CharField(label=_("Data for the app"), required=False,
                          help_text=_("Handed to the app when the notification is opened"))
    apns_sound = forms.CharField(label=_("iOS sound"), required=False)
    apns_badge_mode = forms.ChoiceField(label=_("iOS badge"), required=False,
                                        choices=[("0", _("Count it")), ("1", _("Do not count"))])
    apns_title = forms.CharField(label=_("iOS title"), required=False)
    apns_subtitle = forms.CharField(label=_("iOS subtitle"), required=False)
    apns_image = forms.CharField(label=_("iOS image URL"), required=False)
    android_sound = forms.CharField(label=_("Android sound"), required=False)
    huawei_channel = forms.CharField(label=_("Huawei channel ID"), required=False)
    xiaomi_channel = forms.CharField(label=_("Xiaomi channel ID"), required=False)
    oppo_channel = forms.CharField(label=_("OPPO channel ID"), required=False)
    google_channel = forms.CharField(label=_("FCM channel ID"), required=False)
    lifetime_value = forms.IntegerField(label=_("Keep for offline users"), min_value=0,
                                        initial=1, required=False)
    lifetime_unit = forms.ChoiceField(label=_("Unit"), initial="days", choices=[
        ("online", _("online users only")), ("minutes", _("minutes")), ("hours", _("hours")),
        ("days", _("days"))])
    from_account = forms.CharField(label=_("Sender account"), required=False,
                                   help_text=_("Empty: the app admin"))
    schedule = forms.ChoiceField(label=_("When"), widget=forms.RadioSelect, initial="draft",
                                 choices=[("draft", _("Save as draft")), ("now", _("Send now")),
                                          ("at", _("At a date and time"))])
    send_at_local = LocalDateTimeField(label=_("Date and time"), required=False,
                                        widget=DateTimeInput(),
                                        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    send_tz = ZoneField(label=_("Time zone"))
    allow_late = forms.BooleanField(label=_("Send even if more than an hour late"), required=False)
    # Working as a team (issue 14): the author's choice when the time is in quiet hours.
    quiet_hours = forms.ChoiceField(label=_("If the time is in the workspace's quiet hours"),
                                    required=False, widget=forms.RadioSelect, initial="refuse",
                                    choices=[("refuse", _("Refuse the time")),
                                             ("move", _("Move it to when quiet hours end"))])

    def __init__(self, *args, app, **kwargs):
        """`app`: the campaign's app, whose attribute names the audience may use."""
        super().__init__(*args, **kwargs)
        self.app = app
        if approval_required():
            # Approval covers the time: a campaign is booked when approved, never sent at once.
            self.fields["schedule"].choices = [
                (value, label) for value, label in self.fields["schedule"].choices
                if value != "now"]
            self.fields["schedule"].help_text = _(
                "Approval is on: the time is part of what an approver approves, and the "
                "campaign is booked at it once approved.")
        self.attr_names = attribute_names(app)
        names = [("", "—")] + [(n, n) for n in self.attr_names.values()]
        for i in range(ATTR_ROWS):
            self.fields[f"attr_name_{i}"] = forms.ChoiceField(label=_("Attribute"), choices=names,
                                                              required=False)
            self.fields[f"attr_value_{i}"] = forms.CharField(label=_("Value"), required=False)
            self.fields[f"attr_mode_{i}"] = forms.ChoiceField(
                label=_("Match"), required=False,
                choices=[("all", _("all of")), ("any", _("any of"))])
        self.rule_errors: dict[str, list[str]] = {}
        # The rule messages shown on each form field (each once, live in the editor); the
        # element-level ones are shown on the element, so neither repeats the other.
        self.rule_messages: dict[str, list[str]] = {}
        self.push: dict = {}

    def attr_rows(self):
        return [(self[f"attr_name_{i}"], self[f"attr_value_{i}"], self[f"attr_mode_{i}"])
                for i in range(ATTR_ROWS)]

    # --- building the push --------------------------------------------------------------

    def _condition(self, data) -> dict | None:
        if data.get("audience") == "tags":
            condition = {"TagsAnd": items_from_text(data.get("tags_all") or ""),
                         "TagsOr": items_from_text(data.get("tags_any") or "")}
        elif data.get("audience") == "attrs":
            condition = {"AttrsAnd": {}, "AttrsOr": {}}
            for i in range(ATTR_ROWS):
                name, value = data.get(f"attr_name_{i}"), data.get(f"attr_value_{i}") or ""
                if name:
                    key = "AttrsOr" if data.get(f"attr_mode_{i}") == "any" else "AttrsAnd"
                    condition[key][name] = value
        else:
            return None
        condition = {k: v for k, v in condition.items() if v}
        if not condition:
            self.add_error("audience", _("Choose at least one tag or attribute, or pick "
                                         "Everyone"))
        return condition or None

    def _offline_push_info(self, data) -> dict | None:
        info = {"PushFlag": 0 if data.get("push_enabled") else 1}
        for key, field in (("Title", "title"), ("Desc", "desc"), ("Ext", "ext")):
            if data.get(field):
                info[key] = data[field]
        apns = {key: data[field] for key, field in (
            ("Sound", "apns_sound"), ("Title", "apns_title"), ("SubTitle", "apns_subtitle"),
            ("Image", "apns_image")) if data.get(field)}
        if data.get("apns_badge_mode") == "1":
            apns["BadgeMode"] = 1
        android = {key: data[field] for key, field in (
            ("Sound", "android_sound"), ("HuaWeiChannelID", "huawei_channel"),
            ("XiaoMiChannelID", "xiaomi_channel"), ("OPPOChannelID", "oppo_channel"),
            ("GoogleChannelID", "google_channel")) if data.get(field)}
        if apns:
            info["ApnsInfo"] = apns
        if android:
            info["AndroidInfo"] = android
        return info

    def clean(self):
        data = super().clean()
        try:
            msg_body = json_or_error(data.get("msg_body") or "[]", field="MsgBody", invalid="")
        except InvalidInput as exc:
            # Text that is not JSON at all is worded by the push rules (MsgBody is then
            # missing); nesting too deep or unusable text is worded by the JSON reader.
            msg_body = None
            self.add_rule_errors({path: [m for m in messages if m]
                                  for path, messages in exc.errors.items() if any(messages)})
        unit = data.get("lifetime_unit") or "days"
        lifetime = 0 if unit == "online" else (data.get("lifetime_value") or 0) * LIFETIME_UNITS[unit]
        push = {"MsgBody": msg_body}
        # Tencent's defaults (MsgLifeTime 0, PushFlag 0) are left out, so a push written
        # through the API without them reads back the same after an edit in the editor.
        if lifetime != 0:
            push["MsgLifeTime"] = lifetime
        info = self._offline_push_info(data)
        if info != {"PushFlag": 0}:
            push["OfflinePushInfo"] = info
        condition = self._condition(data)
        if condition:
            push["Condition"] = condition
        if data.get("from_account"):
            push["From_Account"] = data["from_account"]
        self.push = push
        self.add_rule_errors(push_errors(push, self.app))
        data["send_at"] = self._send_at(data)
        return data

    SCHEDULE_FIELDS = ("schedule", "send_at_local", "send_tz")

    def schedule_changed(self) -> bool:
        """Whether the person touched the time: an edit that did not keeps the booked moment
        (which may be to the second, moved to a later day, or the second of two 01:30s)."""
        return any(name in self.changed_data for name in self.SCHEDULE_FIELDS)

    def _send_at(self, data) -> dt.datetime | None:
        choice = data.get("schedule")
        if choice == "now":
            return timezone.now()
        if choice != "at":
            return None
        local = data.get("send_at_local")
        if not local:
            self.add_error("send_at_local", _("Pick the date and time to send"))
            return None
        if not is_zone(data.get("send_tz")):
            return None  # the field reports the zone
        try:
            return local_to_aware(local, ZoneInfo(data["send_tz"]), field="send_at_local")
        except InvalidInput as exc:
            self.add_error("send_at_local", exc.errors["send_at_local"])
            return None

    # --- the payload rules' messages, on the fields a marketer filled in --------------

    FIELD_OF = [("MsgBody", "msg_body"), ("MsgLifeTime", "lifetime_value"),
                ("From_Account", "from_account"), ("Condition.TagsAnd", "tags_all"),
                ("Condition.TagsOr", "tags_any"), ("Condition", "audience"),
                ("OfflinePushInfo.ApnsInfo.Image", "apns_image"),
                ("OfflinePushInfo.ApnsInfo", "apns_title"),
                ("OfflinePushInfo.AndroidInfo", "android_sound"),
                ("OfflinePushInfo", "title"), ("send_at", "send_at_local"), ("name", "name"),
                ("push", "msg_body")]

    def field_of(self, path: str) -> str | None:
        """The form field a rule path is shown on; None for an element's own fields."""
        if path.startswith(ELEMENT_PATH_PREFIX):
            return None
        if path.startswith("Condition.Attrs"):
            return "audience"
        field = next((f for prefix, f in self.FIELD_OF if path.startswith(prefix)), None)
        return field if field in self.fields else None

    def add_rule_errors(self, errors: dict[str, list[str]]) -> None:
        """Keep the exact rule path for the element editor, and make the form invalid."""
        for path, messages in errors.items():
            self.rule_errors.setdefault(path, []).extend(messages)
            field = self.field_of(path)
            if field is None and not path.startswith(ELEMENT_PATH_PREFIX):
                field = "msg_body" if path in ("push", "body") else None
            target = field or ("msg_body" if path.startswith(ELEMENT_PATH_PREFIX) else None)
            for message in messages:
                if field:
                    self.rule_messages.setdefault(field, []).append(message)
                self.add_error(target, message)

    def live_problems(self) -> list[dict]:
        """The rules' verdict for the editor's script: where each message goes."""
        return [{"path": path, "field": self.field_of(path), "message": message}
                for path, messages in self.rule_errors.items() for message in messages]

    def error_slots(self) -> dict[str, dict[str, list[str]]]:
        """For each field: its own validation errors and the rules' messages, apart, so the
        template shows each message once."""
        slots = {}
        rule_texts = {m for ms in self.rule_errors.values() for m in ms}
        for name in self.fields:
            own = [str(e) for e in self.errors.get(name, []) if str(e) not in rule_texts]
            slots[name] = {"own": own, "rules": self.rule_messages.get(name, [])}
        return slots

    def error_summary(self) -> list[dict]:
        """Every problem once, in the form's order, each linking to where it is fixed."""
        if not self.is_bound or not self.errors:
            return []
        items, seen = [], set()

        def add(anchor: str, label, message) -> None:
            message = str(message)
            if message in seen:
                return
            seen.add(message)
            label = str(label)
            text = message if label and label in message else \
                _("%(field)s: %(message)s") % {"field": label, "message": message}
            items.append({"anchor": anchor, "text": text})

        for message in self.non_field_errors():
            add("editor", "", message)
        for path, messages in self.rule_errors.items():
            if path.startswith(ELEMENT_PATH_PREFIX):
                index = path[len(ELEMENT_PATH_PREFIX):].split("]")[0]
                for message in messages:
                    add(f"element-{index}", field_words(path, self.push), message)
        for name, field in self.fields.items():
            for message in self.errors.get(name, []):
                if name == "msg_body" and str(message) in {m for p, ms in self.rule_errors.items()
                                                           if p.startswith(ELEMENT_PATH_PREFIX)
                                                           for m in ms}:
                    continue
                add(f"id_{name}", field.label, message)
        return items

    @classmethod
    def initial_from(cls, campaign) -> dict:
        """The form's initial data for editing an existing campaign."""
        push = campaign.push
        condition = push.get("Condition") or {}
        info = push.get("OfflinePushInfo") or {}
        apns, android = info.get("ApnsInfo", {}), info.get("AndroidInfo", {})
        initial = {
            "name": campaign.name,
            "msg_body": json.dumps(push.get("MsgBody", []), ensure_ascii=False),
            "audience": "tags" if any(k.startswith("Tags") for k in condition) else
                        "attrs" if condition else "everyone",
            "tags_all": ", ".join(condition.get("TagsAnd", [])),
            "tags_any": ", ".join(condition.get("TagsOr", [])),
            "push_enabled": info.get("PushFlag", 0) == 0, "title": info.get("Title", ""),
            "desc": info.get("Desc", ""), "ext": info.get("Ext", ""),
            "apns_sound": apns.get("Sound", ""), "apns_badge_mode": str(apns.get("BadgeMode", 0)),
            "apns_title": apns.get("Title", ""), "apns_subtitle": apns.get("SubTitle", ""),
            "apns_image": apns.get("Image", ""), "android_sound": android.get("Sound", ""),
            "huawei_channel": android.get("HuaWeiChannelID", ""),
            "xiaomi_channel": android.get("XiaoMiChannelID", ""),
            "oppo_channel": android.get("OPPOChannelID", ""),
            "google_channel": android.get("GoogleChannelID", ""),
            "from_account": push.get("From_Account", ""), "allow_late": campaign.allow_late,
            "quiet_hours": campaign.quiet_hours,
            "send_tz": campaign.timezone if is_zone(campaign.timezone) else "UTC",
            "schedule": "at" if campaign.send_at else "draft",
        }
        seconds = push.get("MsgLifeTime", 0)
        unit = next((u for u in ("days", "hours", "minutes") if seconds and
                     seconds % LIFETIME_UNITS[u] == 0), "online")
        initial["lifetime_unit"] = unit
        initial["lifetime_value"] = seconds // LIFETIME_UNITS[unit] if unit != "online" else 0
        if campaign.send_at:
            local = campaign.send_at.astimezone(ZoneInfo(initial["send_tz"]))
            initial["send_at_local"] = local.replace(tzinfo=None)
        attrs = [(n, v, "all") for n, v in condition.get("AttrsAnd", {}).items()] + \
                [(n, v, "any") for n, v in condition.get("AttrsOr", {}).items()]
        for i, (name, value, mode) in enumerate(attrs[:ATTR_ROWS]):
            initial.update({f"attr_name_{i}": name, f"attr_value_{i}": value,
                            f"attr_mode_{i}": mode})
        return initial


# --- repeating a campaign, and splitting it by time zone ------------------------------

WEEKDAY_CHOICES = list(zip(WEEKDAYS, WEEKDAY_WORDS, strict=True))


def _within_planning(day: dt.date | None, label) -> dt.date | None:
    """A day people can plan: from a year ago to PUSH_SCHEDULE_MAX_DAYS ahead (dates near
    year 9999 would overflow the rule and quota arithmetic). `label` is the field's own."""
    if day is None:
        return day
    today = dt.date.today()
    last = today + dt.timedelta(days=settings.PUSH_SCHEDULE_MAX_DAYS)
    if not today - dt.timedelta(days=366) <= day <= last:
        raise forms.ValidationError(
            _("%(field)s must be between %(first)s and %(last)s") % {
                "field": label, "first": today - dt.timedelta(days=366), "last": last})
    return day


class SeriesForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    starts_on = forms.DateField(label=_("First day"), widget=DateInput())
    local_time = forms.TimeField(label=_("Local time"), widget=TimeInput())
    timezone = ZoneField(label=_("Time zone"))
    freq = forms.ChoiceField(label=_("Repeat"), widget=forms.RadioSelect, initial="weekly",
                             choices=[("daily", _("Daily")), ("weekly", _("Weekly")),
                                      ("monthly", _("Monthly"))])
    weekdays = forms.MultipleChoiceField(label=_("On these days"), required=False,
                                         widget=forms.CheckboxSelectMultiple,
                                         choices=WEEKDAY_CHOICES)
    month_day = forms.IntegerField(label=_("Day of the month"), required=False, min_value=1,
                                   max_value=31,
                                   help_text=_("Months without this day are skipped: the 31st skips "
                                               "every month of 30 days or fewer"))
    ends = forms.ChoiceField(label=_("Ends"), widget=forms.RadioSelect, initial="count",
                             choices=[("count", _("After a number of occurrences")),
                                      ("until", _("On a date"))])
    count = forms.IntegerField(label=_("Occurrences"), required=False, min_value=1,
                               max_value=366, initial=10)
    until = forms.DateField(label=_("Last day"), required=False, widget=DateInput())
    full_day = forms.ChoiceField(label=_("When a day's 100 pushes are all booked"),
                                 widget=forms.RadioSelect, choices=Series.FullDay.choices,
                                 initial=Series.FullDay.SKIP)

    def clean_starts_on(self):
        return _within_planning(self.cleaned_data.get("starts_on"), self.fields["starts_on"].label)

    def clean_until(self):
        return _within_planning(self.cleaned_data.get("until"), self.fields["until"].label)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["rrule"] = build_rrule(
                freq=data["freq"], weekdays=data.get("weekdays") or (),
                month_day=data.get("month_day"),
                count=data.get("count") if data["ends"] == "count" else None,
                until=data.get("until") if data["ends"] == "until" else None)
        except InvalidInput as exc:
            for field, problems in exc.errors.items():
                for problem in problems:
                    self.add_error(field if field in self.fields else None, problem)
        return data

    @classmethod
    def initial_from(cls, series: Series) -> dict:
        fields = dict(part.split("=", 1) for part in series.rrule.split(";"))
        initial = {"name": series.name, "starts_on": series.starts_on,
                   "local_time": series.local_time, "timezone": series.timezone,
                   "freq": fields["FREQ"].lower(), "full_day": series.full_day,
                   "weekdays": fields.get("BYDAY", "").split(","),
                   "month_day": fields.get("BYMONTHDAY")}
        if "COUNT" in fields:
            initial.update(ends="count", count=int(fields["COUNT"]))
        else:
            initial.update(ends="until", until=dt.datetime.strptime(
                fields["UNTIL"][:8], "%Y%m%d").date())
        return initial


class LocalTimeForm(forms.Form):
    """Deliver at `hour` in each user's zone on `day`; the zones offered are those that hold
    known accounts for the chosen attribute (or the time-zone tags)."""

    by = forms.ChoiceField(label=_("Users' time zone is in"), widget=forms.RadioSelect,
                           choices=[("attr", _("an attribute")), ("tags", _("tags"))])
    attribute = forms.ChoiceField(label=_("Attribute"), required=False)
    day = forms.DateField(label=_("Day"), widget=DateInput())
    hour = forms.IntegerField(label=_("Local hour"), min_value=0, max_value=23, initial=9)
    zones = forms.MultipleChoiceField(label=_("Time zones"), widget=forms.CheckboxSelectMultiple)
    quiet_hours = forms.ChoiceField(label=_("If a zone's time is in quiet hours"),
                                    widget=forms.RadioSelect,
                                    choices=[("refuse", _("Refuse the time")),
                                             ("move", _("Move it to when quiet hours end"))],
                                    initial="refuse")
    default_zone = ZoneField(
        label=_("Send the accounts whose value is not a time zone at the hour of"),
        required=False, widget=ZoneInput(attrs={"placeholder": _("No zone: they get no push")}),
        help_text=_("One more push for each such value, counted below"))

    def clean_day(self):
        return _within_planning(self.cleaned_data.get("day"), self.fields["day"].label)

    def __init__(self, *args, attribute_names=(), zones: dict[str, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribute"].choices = [(n, n) for n in attribute_names]
        self.fields["zones"].choices = [(z, f"{z} ({n})") for z, n in (zones or {}).items()]


# Each label is shown as it is, never %-formatted: xgettext must not read "% c" as a format.
SIGNIFICANCE_CHOICES = [
    # xgettext:no-python-format
    ("0.05", _("95 % confidence (p < 0.05)")),
    # xgettext:no-python-format
    ("0.02", _("98 % confidence (p < 0.02)")),
    # xgettext:no-python-format
    ("0.01", _("99 % confidence (p < 0.01)"))]


class ExperimentForm(forms.Form):
    """An A/B test of the campaign's message: variant A is the campaign's own message (a field
    filled in replaces the campaign's), B to D what the marketer writes; a variant counts when
    it is A or B, or any of its fields is filled in."""

    send_at_local = LocalDateTimeField(label=_("Send the variants at"), widget=DateTimeInput(),
                                       input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    buckets_per_variant = forms.TypedChoiceField(label=_("Buckets per variant"), coerce=int,
                                                 initial=1)
    wait_hours = forms.DecimalField(label=_("Decide after (hours)"), min_value=0, max_value=168,
                                    decimal_places=2, initial=2)
    significance = forms.ChoiceField(label=_("A winner needs"), choices=SIGNIFICANCE_CHOICES,
                                     initial="0.02")
    min_sample = forms.IntegerField(label=_("At least this many accounts reached per variant"),
                                    min_value=1, initial=1000)
    no_winner = forms.ChoiceField(label=_("When no variant wins"), widget=forms.RadioSelect,
                                  initial="stop", choices=[
                                      ("first", _("Send variant A to everyone else")),
                                      ("best", _("Send the best so far to everyone else")),
                                      ("stop", _("Send nothing more"))])
    route = forms.ChoiceField(label=_("The winner goes to"), widget=forms.RadioSelect,
                              initial="tags_not", choices=[
                                  ("tags_not", _("Everyone else in the audience, accounts "
                                                 "this product has never seen included")),
                                  ("buckets", _("Only the buckets no variant used (for an app "
                                                "without the push service's timpush/push)"))])

    def __init__(self, *args, bucket_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buckets_per_variant"].choices = [
            (n, str(n)) for n in range(1, max(1, (bucket_count - 1) // 2) + 1)]
        for label in "ABCD":
            for name, field in (("title", forms.CharField(label=_("Title"), max_length=2000)),
                                ("text", forms.CharField(label=_("Text"), max_length=2000,
                                                         widget=forms.Textarea(attrs={"rows": 2}))),
                                ("image", forms.URLField(label=_("Picture (https)"),
                                                         max_length=2000, assume_scheme="https")),
                                ("ext", forms.CharField(label=_("Custom data"), max_length=2000))):
                field.required = False
                self.fields[f"{label}_{name}"] = field

    def variant_fields(self):
        """[(label, [bound fields])] for the template."""
        return [(label, [self[f"{label}_{name}"] for name in ("title", "text", "image", "ext")])
                for label in "ABCD"]

    def chosen_labels(self, data=None) -> list[str]:
        """The variants tested: A and B, and C or D when a field of theirs is filled in (read
        from the cleaned data, or, for a preview of a form not yet valid, the raw data)."""
        data = self.cleaned_data if data is None else data
        return [label for label in "ABCD" if label in "AB" or any(
            (data.get(f"{label}_{name}") or "").strip()
            for name in ("title", "text", "image", "ext"))]

    def variants(self, bucket_count: int, data=None, per: int | None = None) -> list[dict]:
        """The variants as the service takes them, each with its consecutive buckets."""
        data = self.cleaned_data if data is None else data
        per = per or self.cleaned_data["buckets_per_variant"]
        return [{"buckets": list(range(i * per, min((i + 1) * per, bucket_count))),
                 **{name: data.get(f"{label}_{name}") or ""
                    for name in ("title", "text", "image", "ext")}}
                for i, label in enumerate(self.chosen_labels(data))]


LANGUAGE_ROWS = 5


class LanguagesForm(forms.Form):
    """Versions of the campaign's message per language, read from an attribute or tags; the
    campaign's own message is the default version for everyone else."""

    by = forms.ChoiceField(label=_("Users' language is in"), widget=forms.RadioSelect,
                           choices=[("tags", _("Tags (lang:zh-Hans)")),
                                    ("attr", _("An attribute"))], initial="tags")
    attribute = forms.ChoiceField(label=_("Attribute"), required=False)
    send_at_local = LocalDateTimeField(label=_("Send the versions at"), widget=DateTimeInput(),
                                       input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    default = forms.ChoiceField(label=_("Everyone else"), widget=forms.RadioSelect,
                                initial="tags_not", choices=[
                                    ("tags_not", _("Gets the campaign's own message, "
                                                   "accounts this product has never seen "
                                                   "included")),
                                    ("none", _("Gets nothing (for an app without the push "
                                               "service's timpush/push)"))])

    def __init__(self, *args, attribute_names=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribute"].choices = [("", "—")] + [(n, n) for n in attribute_names]
        for i in range(LANGUAGE_ROWS):
            for name, field in (
                    ("language", forms.CharField(label=_("Language"), max_length=35)),
                    ("title", forms.CharField(label=_("Title"), max_length=2000)),
                    ("text", forms.CharField(label=_("Text"), max_length=2000,
                                             widget=forms.Textarea(attrs={"rows": 2}))),
                    ("image", forms.URLField(label=_("Picture (https)"), max_length=2000,
                                             assume_scheme="https")),
                    ("ext", forms.CharField(label=_("Custom data"), max_length=2000))):
                field.required = False
                self.fields[f"v{i}_{name}"] = field

    def version_rows(self):
        return [[self[f"v{i}_{name}"] for name in ("language", "title", "text", "image", "ext")]
                for i in range(LANGUAGE_ROWS)]

    def rows_used(self) -> list[int]:
        """The rows with a language: the versions, in order."""
        return [i for i in range(LANGUAGE_ROWS)
                if (self.cleaned_data.get(f"v{i}_language") or "").strip()]

    def versions(self) -> list[dict]:
        """The rows with a language, as the service takes them."""
        data = self.cleaned_data
        return [{name: (data.get(f"v{i}_{name}") or "").strip()
                 for name in ("language", "title", "text", "image", "ext")}
                for i in self.rows_used()]
