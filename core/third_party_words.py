"""Words Django admin and django-axes show that their own catalogues leave in English in
Simplified Chinese. Named here so makemessages puts them in our catalogue, which Django reads
first (LOCALE_PATHS); nothing calls this module."""

from django.utils.translation import gettext_noop

WORDS = [
    # django/contrib/admin/templates/admin/app_list.html (headers read by screen readers)
    gettext_noop("Model name"), gettext_noop("Add link"), gettext_noop("Change or view list link"),
    # django-axes: its models, fields and admin
    gettext_noop("access attempt"), gettext_noop("access attempts"),
    gettext_noop("access failure"), gettext_noop("access failures"),
    gettext_noop("access log"), gettext_noop("access logs"),
    gettext_noop("access attempt expiration"), gettext_noop("access attempt expirations"),
    gettext_noop("User Agent"), gettext_noop("IP Address"), gettext_noop("HTTP Accept"),
    gettext_noop("Path"), gettext_noop("Attempt Time"), gettext_noop("Access lock out"),
    gettext_noop("GET Data"), gettext_noop("POST Data"), gettext_noop("Failed Logins"),
    gettext_noop("Access Attempt"), gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"), gettext_noop("Session key hash (sha256)"),
    gettext_noop("Locked Out"), gettext_noop("Attempt Remaining"), gettext_noop("Not set"),
    gettext_noop("Form Data"), gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
]
