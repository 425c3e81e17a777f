"""The browser's own date and time pickers, for every form. Such an input reads its value only in
ISO 8601 (2026-12-06, 09:00, 2026-12-06T09:00) whatever the page's language, and shows a value
in any other form as blank. Django's DateInput writes the language's input format instead
(Simplified Chinese: 2026/12/06), so a form's default date vanished for Chinese readers; these
widgets always write ISO. What comes back is ISO too, which every language's fields read."""

from __future__ import annotations

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    """Hours and minutes: the product schedules to the minute, and a value with seconds makes
    the browser ask for seconds too."""

    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")
