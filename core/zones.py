"""Time zones as people know them: every zone named by its city ("Sydney", "São Paulo"), the one
list the pages offer, and the one reading of what a person typed or picked from it."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from django import forms
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import InvalidInput
from .times import MAX_ZONE_LENGTH, is_zone, zone_ids

# Names a zone's id does not give: several cities, the city's accents, or the name a reader
# knows ("Ho Chi Minh City"); each translated where Chinese readers have their own name.
ZONE_NAMES = {
    "Asia/Shanghai": gettext_lazy("Beijing, Shanghai"), "Asia/Hong_Kong": gettext_lazy("Hong Kong"),
    "Asia/Singapore": gettext_lazy("Singapore"), "Asia/Tokyo": gettext_lazy("Tokyo"),
    "Asia/Seoul": gettext_lazy("Seoul"), "Asia/Kolkata": gettext_lazy("India (Kolkata)"),
    "Asia/Jakarta": gettext_lazy("Jakarta"), "Europe/Berlin": gettext_lazy("Berlin"),
    "Europe/London": gettext_lazy("London"), "America/Los_Angeles": gettext_lazy("Los Angeles"),
    "America/New_York": gettext_lazy("New York"), "UTC": gettext_lazy("Coordinated Universal Time"),
    "Asia/Taipei": gettext_lazy("Taipei"), "Asia/Macau": gettext_lazy("Macau"),
    "Asia/Urumqi": gettext_lazy("Urumqi"), "Asia/Bangkok": gettext_lazy("Bangkok"),
    "Asia/Ho_Chi_Minh": gettext_lazy("Ho Chi Minh City"), "Asia/Manila": gettext_lazy("Manila"),
    "Asia/Kuala_Lumpur": gettext_lazy("Kuala Lumpur"), "Asia/Dubai": gettext_lazy("Dubai"),
    "Asia/Riyadh": gettext_lazy("Riyadh"), "Asia/Karachi": gettext_lazy("Karachi"),
    "Asia/Dhaka": gettext_lazy("Dhaka"), "Asia/Yangon": gettext_lazy("Yangon"),
    "Asia/Tehran": gettext_lazy("Tehran"), "Asia/Jerusalem": gettext_lazy("Jerusalem"),
    "Asia/Ulaanbaatar": gettext_lazy("Ulaanbaatar"), "Asia/Almaty": gettext_lazy("Almaty"),
    "Australia/Sydney": gettext_lazy("Sydney"), "Australia/Melbourne": gettext_lazy("Melbourne"),
    "Australia/Brisbane": gettext_lazy("Brisbane"), "Australia/Perth": gettext_lazy("Perth"),
    "Australia/Adelaide": gettext_lazy("Adelaide"), "Pacific/Auckland": gettext_lazy("Auckland"),
    "Pacific/Honolulu": gettext_lazy("Honolulu"), "Europe/Paris": gettext_lazy("Paris"),
    "Europe/Madrid": gettext_lazy("Madrid"), "Europe/Rome": gettext_lazy("Rome"),
    "Europe/Amsterdam": gettext_lazy("Amsterdam"), "Europe/Zurich": gettext_lazy("Zurich"),
    "Europe/Vienna": gettext_lazy("Vienna"), "Europe/Brussels": gettext_lazy("Brussels"),
    "Europe/Stockholm": gettext_lazy("Stockholm"), "Europe/Warsaw": gettext_lazy("Warsaw"),
    "Europe/Athens": gettext_lazy("Athens"), "Europe/Istanbul": gettext_lazy("Istanbul"),
    "Europe/Moscow": gettext_lazy("Moscow"), "Europe/Kyiv": gettext_lazy("Kyiv"),
    "Europe/Lisbon": gettext_lazy("Lisbon"), "Europe/Dublin": gettext_lazy("Dublin"),
    "Europe/Chisinau": gettext_lazy("Chișinău"), "Europe/Busingen": gettext_lazy("Büsingen"),
    "Africa/Cairo": gettext_lazy("Cairo"), "Africa/Johannesburg": gettext_lazy("Johannesburg"),
    "Africa/Lagos": gettext_lazy("Lagos"), "Africa/Nairobi": gettext_lazy("Nairobi"),
    "Africa/Casablanca": gettext_lazy("Casablanca"), "Africa/Lome": gettext_lazy("Lomé"),
    "Africa/Sao_Tome": gettext_lazy("São Tomé"), "Africa/Ndjamena": gettext_lazy("N’Djamena"),
    "America/Chicago": gettext_lazy("Chicago"), "America/Denver": gettext_lazy("Denver"),
    "America/Phoenix": gettext_lazy("Phoenix"), "America/Anchorage": gettext_lazy("Anchorage"),
    "America/Toronto": gettext_lazy("Toronto"), "America/Vancouver": gettext_lazy("Vancouver"),
    "America/Halifax": gettext_lazy("Halifax"), "America/St_Johns": gettext_lazy("St. John’s"),
    "America/Mexico_City": gettext_lazy("Mexico City"), "America/Havana": gettext_lazy("Havana"),
    "America/Sao_Paulo": gettext_lazy("São Paulo"), "America/Bogota": gettext_lazy("Bogotá"),
    "America/Lima": gettext_lazy("Lima"), "America/Santiago": gettext_lazy("Santiago"),
    "America/Caracas": gettext_lazy("Caracas"), "America/Asuncion": gettext_lazy("Asunción"),
    "America/Argentina/Buenos_Aires": gettext_lazy("Buenos Aires"),
    "America/Argentina/Cordoba": gettext_lazy("Córdoba, Argentina"),
    "America/Argentina/Tucuman": gettext_lazy("Tucumán, Argentina"),
    "America/Curacao": gettext_lazy("Curaçao"), "America/Cancun": gettext_lazy("Cancún"),
    "America/Merida": gettext_lazy("Mérida"), "America/Mazatlan": gettext_lazy("Mazatlán"),
    "America/Bahia_Banderas": gettext_lazy("Bahía de Banderas"),
    "America/Ciudad_Juarez": gettext_lazy("Ciudad Juárez"), "America/Belem": gettext_lazy("Belém"),
    "America/Maceio": gettext_lazy("Maceió"), "America/Cuiaba": gettext_lazy("Cuiabá"),
    "America/Araguaina": gettext_lazy("Araguaína"), "America/Santarem": gettext_lazy("Santarém"),
    "America/Eirunepe": gettext_lazy("Eirunepé"), "Atlantic/Reykjavik": gettext_lazy("Reykjavík"),
}

# The regions of the zone database's own names ("Australia/Sydney"). The rest are older aliases
# ("US/Pacific", "PRC", "Etc/GMT+8" which is UTC−08:00): still accepted, but not offered.
REGIONS = frozenset({"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic",
                     "Australia", "Europe", "Indian", "Pacific"})


def zone_name(zone: str) -> str:
    """A zone as a person reads it: a name above in their language, else the city in its id
    ("America/Indiana/Knox" → "Knox, Indiana"), else the id itself ("US/Pacific")."""
    zone = str(zone)
    if zone in ZONE_NAMES:
        return str(ZONE_NAMES[zone])
    parts = zone.replace("_", " ").split("/")
    if len(parts) == 3:
        return f"{parts[2]}, {parts[1]}"
    return parts[-1] if len(parts) == 2 and parts[0] in REGIONS else zone


def zone_option(zone: str) -> str:
    """What the list offers and the field shows: "Sydney (Australia/Sydney)", so the city and
    the id are both searched and both read back; a zone without a name of its own
    ("US/Pacific") is its id."""
    name = zone_name(zone)
    return str(zone) if name == str(zone) else _("%(name)s (%(zone)s)") % {
        "name": name, "zone": zone}


@cache
def _options(language: str) -> tuple[str, ...]:
    offered = [z for z in zone_ids() if z.split("/")[0] in REGIONS] + ["UTC"]
    return tuple(sorted((zone_option(z) for z in offered), key=_plain))


def zone_options() -> tuple[str, ...]:
    """Every zone of the regions, and UTC, as the page's language names them, by name."""
    return _options(get_language() or "en")


@cache
def _by_name(language: str) -> dict[str, str | None]:
    """Each name of a listed zone (in this language and in English), casefolded, to its zone;
    None where two zones share it, unless one has its name by hand ("Istanbul" is
    Europe/Istanbul, not its alias Asia/Istanbul)."""
    found: dict[str, str | None] = {}
    named: dict[str, str] = {}
    for reading in dict.fromkeys((language, "en")):
        with override(reading):
            for option in _options(reading):
                zone = _id_in(option)
                key = _plain(zone_name(zone))
                found[key] = zone if found.get(key, zone) == zone else None
                if zone in ZONE_NAMES:
                    named[key] = zone
    return {**found, **named}


def _plain(name: str) -> str:
    """A name as it is typed without accents, in any case: "Sao paulo" is São Paulo."""
    letters = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in letters if not unicodedata.combining(c))


OPTION_ID = re.compile(r"[(（]\s*([^()（）]+?)\s*[)）]\s*$")


def _id_in(text: str) -> str | None:
    match = OPTION_ID.search(text)
    return match.group(1) if match else None


def zone_from_text(text, *, field: str) -> str:
    """The zone a person typed or picked: its IANA id ("Australia/Sydney"), an option of the
    list ("Sydney (Australia/Sydney)") or a name only one listed zone has ("sydney", "悉尼",
    "Sao Paulo").
    Anything else is refused naming the field."""
    text = text.strip() if isinstance(text, str) else ""
    if is_zone(text):
        return text
    zone = _id_in(text) or _by_name(get_language() or "en").get(_plain(text))
    if is_zone(zone):
        return zone
    shown = text if len(text) <= MAX_ZONE_LENGTH else text[:MAX_ZONE_LENGTH] + "…"
    raise InvalidInput({field: [_(
        "%(field)s: “%(value)s” is not a time zone. Type a city and pick it from the list "
        "(e.g. Sydney), or a zone's IANA name such as Australia/Sydney.") % {
        "field": field, "value": shown}]})


class ZoneInput(forms.TextInput):
    """A text field searching the page's list of zones (base.html's <datalist id="time-zones">,
    which the browser filters as one types, on a phone as with a keyboard); it shows a zone as
    its option."""

    def __init__(self, attrs=None):
        super().__init__({"list": "time-zones", "autocomplete": "off", "spellcheck": "false",
                          "data-zone": "", "placeholder": gettext_lazy("Type a city, e.g. Sydney"),
                          **(attrs or {})})

    def format_value(self, value):
        return zone_option(value) if is_zone(value) else super().format_value(value)


class ZoneField(forms.CharField):
    """A zone picked or typed, cleaned to its IANA id."""

    widget = ZoneInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return value
        try:
            return zone_from_text(value, field=str(self.label))
        except InvalidInput as exc:
            raise forms.ValidationError(exc.errors[str(self.label)], code="invalid") from None

    def has_changed(self, initial, data):
        """"Sydney (Australia/Sydney)" is the Australia/Sydney the form started with."""
        try:
            return zone_from_text(data, field="") != initial
        except InvalidInput:
            return True
