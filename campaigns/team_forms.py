"""Forms for working as a team: a recurring rule, and delivery at each user's local time."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput
from core.widgets import DateInput, TimeInput
from core.zones import ZoneField, ZoneInput

from .models import Series
from .recurring import WEEKDAY_WORDS, WEEKDAYS, build_rrule

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
                                   help_text=_("Months without this day are skipped (RFC 5545)"))
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
