"""Exit 0 when the named checks pass (database, broker, scheduler), 1 naming those that fail."""

from django.core.management.base import BaseCommand, CommandError

from core.health import check_names, health_state


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("checks", nargs="*", choices=check_names(), default=check_names())

    def handle(self, *args, checks, **options):
        state = health_state()
        down = [name for name in checks if state[name] != "ok"]
        if down:
            details = "; ".join(f"{key}: {value}" for key, value in state.items()
                                if key != "status" and key not in check_names())
            raise CommandError(f"down: {', '.join(down)} ({details})")
        self.stdout.write(f"ok: {', '.join(checks)}")
