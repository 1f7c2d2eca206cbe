"""`manage.py verify_integrity`: exits non-zero naming every approved issue or tracked object that is wrong."""

from django.core.management.base import BaseCommand, CommandError

from hazardlog.models import LogIssue
from hazardlog.operations import integrity


class Command(BaseCommand):
    help = (
        "Recompute every approved issue's SHA-256 and check that every tracked object has history from its "
        "creation that agrees with it. Exits non-zero naming each object that is wrong."
    )

    def handle(self, *args, **options):
        problems = integrity.find_problems()
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(f"Integrity check failed: {len(problems)} problems (listed above).")
        objects = sum(model._base_manager.count() for model in integrity.tracked_models())
        self.stdout.write(
            f"Integrity verified. Approved issues matching their SHA-256: {LogIssue.objects.count()}. "
            f"Tracked objects matching their history: {objects}."
        )
