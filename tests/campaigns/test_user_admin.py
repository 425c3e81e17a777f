"""Admins manage users and roles in Django admin, but cannot grant more than they hold."""

import pytest
from django.contrib.auth.models import Group, Permission, User

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def change_form(user, **changes):
    """The user change form as the browser posts it, with the user's current values."""
    data = {"username": user.username, "first_name": "", "last_name": "", "email": "",
            "is_active": "on", "is_staff": "on" if user.is_staff else "",
            "groups": [str(g.pk) for g in user.groups.all()],
            "user_permissions": [str(p.pk) for p in user.user_permissions.all()],
            "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00"}
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


@pytest.fixture
def ada(client):
    admin = make_user("ada", "Admins", is_staff=True)
    client.force_login(admin)
    return admin


def test_an_admin_cannot_make_themselves_superuser(client, ada):
    answer = client.post(f"/admin/auth/user/{ada.pk}/change/",
                         change_form(ada, is_superuser="on"))
    assert answer.status_code in (200, 302)
    ada.refresh_from_db()
    assert not ada.is_superuser


def test_an_admin_cannot_give_themselves_a_permission_they_lack(client, ada):
    delete_user = Permission.objects.get(codename="delete_user")
    answer = client.post(f"/admin/auth/user/{ada.pk}/change/",
                         change_form(ada, user_permissions=[str(delete_user.pk)]))
    assert "Select a valid choice" in answer.content.decode()
    assert not User.objects.get(pk=ada.pk).has_perm("auth.delete_user")


def test_an_admin_cannot_join_a_group_that_holds_more(client, ada):
    owners = Group.objects.create(name="Owners")
    owners.permissions.add(Permission.objects.get(codename="delete_user"))
    answer = client.post(f"/admin/auth/user/{ada.pk}/change/",
                         change_form(ada, groups=[str(g.pk) for g in ada.groups.all()]
                                     + [str(owners.pk)]))
    assert "Select a valid choice" in answer.content.decode()
    assert not ada.groups.filter(name="Owners").exists()


def test_an_admin_cannot_add_permissions_to_their_own_group(client, ada):
    admins = Group.objects.get(name="Admins")
    held = [str(p.pk) for p in admins.permissions.all()]
    delete_user = Permission.objects.get(codename="delete_user")
    client.post(f"/admin/auth/group/{admins.pk}/change/",
                {"name": "Admins", "permissions": held + [str(delete_user.pk)]})
    assert not admins.permissions.filter(codename="delete_user").exists()


def test_an_admin_cannot_change_a_superusers_password(client, ada):
    root = User.objects.create_superuser("root", password="root-password-1")
    answer = client.post(f"/admin/auth/user/{root.pk}/password/",
                         {"password1": "taken-over-99", "password2": "taken-over-99"})
    assert answer.status_code == 403
    assert User.objects.get(pk=root.pk).check_password("root-password-1")


def test_an_admin_still_gives_a_colleague_a_role(client, ada):
    marketers = Group.objects.get_or_create(name="Marketers")[0]
    colleague = make_user("max")
    answer = client.post(f"/admin/auth/user/{colleague.pk}/change/",
                         change_form(colleague, groups=[str(marketers.pk)]))
    assert answer.status_code == 302
    assert colleague.groups.filter(name="Marketers").exists()
