"""Activate the signed-in user's language and time zone from the session (no query per request)."""

import zoneinfo

from django.utils import timezone, translation

from .zones import ZoneInput, zone_name, zone_options

from .models import Preference

LANGUAGE_KEY, TIMEZONE_KEY = "pref_language", "pref_timezone"


def user_preferences(get_response):
    def middleware(request):
        language = request.session.get(LANGUAGE_KEY)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        zone = request.session.get(TIMEZONE_KEY)
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        try:
            return get_response(request)
        finally:
            timezone.deactivate()
    return middleware


def remember_preferences(request, preference) -> None:
    request.session[LANGUAGE_KEY] = preference.language
    request.session[TIMEZONE_KEY] = preference.timezone


def on_login(sender, request, user, **kwargs):
    """Connected in CoreConfig.ready: the session takes the language and zone at sign-in."""
    preference = Preference.objects.filter(user=user).first()
    if preference:
        remember_preferences(request, preference)


def preference_choices(request) -> dict:
    """For the header's preferences: the page's one list of zones (which the zone fields of
    its forms search too), the switch showing the zone in force, and that zone's name."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    current = str(timezone.get_current_timezone())
    switch = ZoneInput(attrs={"id": "pref-timezone", "data-autosubmit": "",
                              "data-testid": "timezone"}).render("timezone", current)
    return {"pref_zones": zone_options(), "pref_zone_switch": switch, "pref_zone": current,
            "pref_zone_name": zone_name(current)}
