"""`manage.py clean_import_previews [--hours 24]`

Cancels the workbook imports previewed more than --hours ago and never confirmed or cancelled, and drops
the upload each kept (up to HAZARDLOG_MAX_UPLOAD_BYTES apiece). The import records stay, with their report:
nothing is deleted. Run it from cron or a systemd timer, e.g. hourly (README, "Old import previews").
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hazardlog.imports import expire_previews


class Command(BaseCommand):
    help = "Cancel import previews left unconfirmed for more than --hours hours, dropping their kept uploads."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24, help="Age after which a preview is cancelled (24).")

    def handle(self, *args, hours, **options):
        if hours < 1:
            raise CommandError("--hours must be at least 1, so that a preview being read is not cancelled under it.")
        cancelled = expire_previews(timezone.now() - timedelta(hours=hours))
        self.stdout.write(
            f"Cancelled {cancelled} import preview{'s' if cancelled != 1 else ''} older than {hours} hours."
        )
