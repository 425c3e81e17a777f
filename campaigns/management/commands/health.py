"""Exit 0 when the named checks pass (database, broker, scheduler), 1 naming those that fail."""

from django.core.management.base import BaseCommand, CommandError

from campaigns.health import health_state

CHECKS = ("database", "broker", "scheduler")


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("checks", nargs="*", choices=CHECKS, default=list(CHECKS))

    def handle(self, *args, checks, **options):
        state = health_state()
        down = [name for name in checks if state[name] != "ok"]
        if down:
            raise CommandError(f"down: {', '.join(down)} (scheduler last tick: "
                               f"{state['scheduler_last_tick']})")
        self.stdout.write(f"ok: {', '.join(checks)}")
