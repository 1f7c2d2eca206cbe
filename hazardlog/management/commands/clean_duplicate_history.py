"""Replaces django-simple-history's clean_duplicate_history (hazardlog comes before simple_history in
INSTALLED_APPS, so this command wins): same options, so that any invocation meets the refusal."""

from simple_history.management.commands import clean_duplicate_history

from hazardlog.management.history_kept import refuse


class Command(clean_duplicate_history.Command):
    help = "Refused: history rows are kept for the life of the system (DCB0129 3.1)."

    def handle(self, *args, **options):
        refuse("clean_duplicate_history")
