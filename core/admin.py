"""Django admin for API tokens (visible and revocable by date, never their secret), and for
users and roles, without a way to grant more than one holds."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ApiToken
from .roles import role_words


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


def _permissions_of(user):
    """Every permission a user holds, directly or through groups."""
    return Permission.objects.filter(Q(user=user) | Q(group__user=user)).distinct()


def _within_reach(editor, permissions) -> bool:
    """Whether a set of permissions is no more than the editor holds: nobody grants more."""
    return editor.is_superuser or not permissions.exclude(
        pk__in=_permissions_of(editor).values("pk")).exists()


PERMISSION_ACTIONS = {"add": gettext_lazy("Can add %(model)s"),
                      "change": gettext_lazy("Can change %(model)s"),
                      "delete": gettext_lazy("Can delete %(model)s"),
                      "view": gettext_lazy("Can view %(model)s")}


def permission_words(permission) -> str:
    """A permission in the reader's language: Django stores its name in English at migrate
    time ("Can add known account")."""
    model = permission.content_type.model_class()
    action = PERMISSION_ACTIONS.get(permission.codename.split("_", 1)[0])
    if model is None or action is None or permission.codename != (
            f"{permission.codename.split('_', 1)[0]}_{model._meta.model_name}"):
        return f"{permission.content_type} | {_(permission.name)}"
    return f"{model._meta.app_config.verbose_name} | {action % {'model': model._meta.verbose_name}}"


class NoEscalationMixin:
    """Admins (staff, not superusers) manage users and roles, but can grant no more than they
    hold: no superuser flag, no permission or group beyond their own, and no edits to accounts
    that hold more (a superuser's password, say)."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            if db_field.name in ("permissions", "user_permissions"):
                kwargs["queryset"] = _permissions_of(request.user)
            elif db_field.name == "groups":
                kwargs["queryset"] = Group.objects.exclude(
                    permissions__in=Permission.objects.exclude(
                        pk__in=_permissions_of(request.user).values("pk")))
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = permission_words
        if field is not None and db_field.name == "groups":
            field.label_from_instance = lambda group: role_words(group.name)
        return field

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and (
                getattr(obj, "is_superuser", False)
                or not _within_reach(request.user, self.held_by(obj))):
            return False
        return super().has_change_permission(request, obj)


class RoleFilter(admin.RelatedFieldListFilter):
    """The user list's filter by group, each role named in the reader's language."""

    def field_choices(self, field, request, model_admin):
        return [(pk, role_words(name))
                for pk, name in super().field_choices(field, request, model_admin)]


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class GuardedUserAdmin(NoEscalationMixin, UserAdmin):
    # Plain lists with labels: the two-box widget is not accessible and half English.
    filter_horizontal = ()
    list_filter = ("is_staff", "is_superuser", "is_active", ("groups", RoleFilter))
    add_form_template = "admin/auth/user/add_form_roles.html"

    def held_by(self, user):
        return _permissions_of(user)

    def get_readonly_fields(self, request, obj=None):
        fields = (*super().get_readonly_fields(request, obj), "last_login", "date_joined")
        return fields if request.user.is_superuser else (*fields, "is_superuser")


@admin.register(Group)
class GuardedGroupAdmin(NoEscalationMixin, GroupAdmin):
    filter_horizontal = ()
    list_display = ("role",)

    @admin.display(description=gettext_lazy("Role"), ordering="name")
    def role(self, group):
        return role_words(group.name)

    def held_by(self, group):
        return group.permissions.all()
