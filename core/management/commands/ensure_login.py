"""Create the admin login from DJANGO_SUPERUSER_USERNAME/PASSWORD, or say how to make one."""

import os

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

from core.roles import ADMINS


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not (username and password):
            if not User.objects.filter(is_superuser=True).exists():
                self.stdout.write("No login yet. Create one with:\n"
                                  "  .venv/bin/python manage.py createsuperuser\n"
                                  "or start with DJANGO_SUPERUSER_USERNAME and "
                                  "DJANGO_SUPERUSER_PASSWORD set.")
            return
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": True, "is_superuser": True})
        if created:
            user.set_password(password)
            user.save()
            self.stdout.write(f"Created the login '{username}'.")
        user.groups.add(Group.objects.get_or_create(name=ADMINS)[0])
