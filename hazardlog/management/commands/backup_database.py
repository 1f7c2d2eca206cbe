"""`manage.py backup_database PATH`: a consistent copy of the SQLite database while the app runs."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hazardlog.operations.backup import BackupRefused, backup_sqlite


class Command(BaseCommand):
    help = "Copy the SQLite database to PATH (a new file) with SQLite's online backup API. PostgreSQL: use pg_dump."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The backup file to create.")

    def handle(self, *args, path, **options):
        try:
            backup_sqlite(path)
        except BackupRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(f"Backed up the database to {path}.")
