"""`manage.py bring_in_upstream PATH --log NAME --user USERNAME [--manufacturer M] [--system S] [--source-version V]
[--supersedes VERSION] [--dry-run]`

Brings a manufacturer's issued hazard log (an NHS workbook, or the JSON of an approved issue) into the DCB0160
log NAME as an upstream source, and prints what is new, changed and flagged. It never changes the log's cover
details or the deployer's own hazards. --supersedes names the version brought in earlier that this one follows
(the manufacturer and system are then taken from it); --dry-run prints the same and writes nothing.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from hazardlog.models import HazardLog, Standard
from upstream import services
from upstream.bring_in import SourceRefused, read_source
from upstream.models import Evaluation, UpstreamSource


class _RollBack(Exception):
    pass


class Command(BaseCommand):
    help = "Bring a manufacturer's issued hazard log into a DCB0160 log as an upstream source."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The manufacturer's workbook (.xlsx) or an approved issue's JSON (.json).")
        parser.add_argument("--log", required=True, help="The system name of the DCB0160 log.")
        parser.add_argument("--user", required=True, help="Username recorded in the history.")
        parser.add_argument("--manufacturer", default="", help="Needed unless --supersedes is given.")
        parser.add_argument("--system", default="", help="Defaults to the system the file names.")
        parser.add_argument("--source-version", default="", help="Defaults to the version the file gives.")
        parser.add_argument("--supersedes", default="", help="The version brought in earlier that this one follows.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would happen and write nothing.")

    def handle(self, *args, path, log, user, manufacturer, system, source_version, supersedes, dry_run, **options):
        file = Path(path)
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        target = HazardLog.objects.filter(name=log, standard=Standard.DCB0160).first()
        if target is None:
            raise CommandError(f"There is no DCB0160 log named {log!r}.")
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"There is no user {user!r}.")
        try:
            reading = read_source(file.name, content)
        except SourceRefused as refusal:
            raise CommandError("The file cannot be brought in:\n" + "\n".join(refusal.messages)) from None
        previous = None
        if supersedes:
            previous = UpstreamSource.objects.filter(log=target, version=supersedes, next_version__isnull=True).first()
            if previous is None:
                raise CommandError(f"No version {supersedes!r} brought into {log!r} is waiting for a successor.")
        version = source_version or reading.suggested["version"]
        if not version:
            raise CommandError("The file gives no version: pass --source-version.")
        if not previous and not manufacturer:
            raise CommandError("Pass --manufacturer (or --supersedes for a new version).")
        try:
            with transaction.atomic():
                source, diff = services.bring_in(
                    target,
                    reading,
                    file_name=file.name,
                    content=content,
                    manufacturer=manufacturer,
                    system=system or reading.suggested["system"] or file.stem,
                    version=version,
                    issue_date=None,
                    previous=previous,
                    user=account,
                )
                self._report(source, diff, reading)
                if dry_run:
                    raise _RollBack
        except _RollBack:
            self.stdout.write("Dry run: nothing was written.")
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None

    def _report(self, source, diff, reading) -> None:
        self.stdout.write(f"{source}: {source.hazards.count()} hazards ({source.layout}).")
        for warning in reading.warnings:
            self.stdout.write(f"  warning: {warning}")
        if diff is not None:
            self.stdout.write(f"Compared with version {source.previous.version}:")
            self.stdout.write(f"  new: {', '.join(h.reference for h in diff.issues.added) or 'none'}")
            self.stdout.write(f"  removed: {', '.join(h.reference for h in diff.issues.removed) or 'none'}")
            self.stdout.write(
                f"  re-rated: {', '.join(f'{r.reference} ({r.stage})' for r in diff.issues.rerated) or 'none'}"
            )
            self.stdout.write(f"  changed: {', '.join(h.reference for h in diff.issues.changed) or 'none'}")
            self.stdout.write(
                f"  newly transferred: {', '.join(f'{t.reference} {t.control}' for t in diff.new_transfers) or 'none'}"
            )
        flagged = Evaluation.objects.filter(log=source.log, needs_review=True).order_by("reference_key")
        self.stdout.write(f"Flagged for review: {', '.join(e.reference for e in flagged) or 'none'}.")
