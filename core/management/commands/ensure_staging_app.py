"""`make run` only: the emulated staging app beside the default one, so a newcomer sees the
header's app switcher and a staging app marked as such. Its secret key (STAGING_SECRET_KEY, new
each run) and callback token (TIM_CALLBACK_TOKEN) are the ones the emulator was given."""

import os

from django.core.management.base import BaseCommand

from core.chat_apps import app_save
from core.models import App


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--sdkappid", type=int, required=True)
        parser.add_argument("--base-url", required=True)

    def handle(self, *args, sdkappid, base_url, **options):
        app = App.objects.filter(sdkappid=sdkappid, from_settings=False).first()
        values = {"base_url": base_url}
        if app is None:
            values |= {"name": "Staging", "slug": "staging", "sdkappid": sdkappid,
                       "staging": True}
        app_save(user=None, app=app, values=values,
                 secret_key=os.environ["STAGING_SECRET_KEY"],
                 callback_token=os.environ.get("TIM_CALLBACK_TOKEN", ""))
