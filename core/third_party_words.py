"""Words Django admin and django-axes show that their own catalogues leave in English in
Simplified Chinese, or write with ASCII punctuation ("用户名:"). Named here so makemessages puts
them in our catalogue, which Django reads first (LOCALE_PATHS); nothing calls this module."""

from django.utils.translation import gettext_noop

WORDS = [
    # django/forms/boundfield.py: the suffix of every form's labels, Django admin's included
    # (Form.label_suffix), and the marks after which a label gets none.
    gettext_noop(":"), gettext_noop(":?.!"),
    # django/contrib/admin: a sortable column's title, and the page before deleting
    gettext_noop("Sorting priority: %(priority_number)s"),
    gettext_noop("Deleting %(class_name)s %(instance)s would require deleting the following "
                 "protected related objects: %(related_objects)s"),
    gettext_noop("Deleting the %(object_name)s '%(escaped_object)s' would require deleting the "
                 "following protected related objects:"),
    gettext_noop("Deleting the selected %(objects_name)s would result in deleting related "
                 "objects, but your account doesn't have permission to delete the following "
                 "types of objects:"),
    gettext_noop("Deleting the selected %(objects_name)s would require deleting the following "
                 "protected related objects:"),
    # django/contrib/auth/admin.py: the title of the page giving a user a password
    gettext_noop("Set password: %s"),
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
