"""`manage.py import_hazard_log PATH --log NAME [--standard DCB0129] [--dry-run] [--user USERNAME]`

Previews the workbook against the log named NAME (created with the NHS risk matrix if there is none),
prints the report, and applies it unless --dry-run. All or nothing: on any error nothing is written,
not even the new log, and the command exits with status 1. --dry-run writes nothing at all.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from hazardlog import nhs_matrix
from hazardlog.imports import ImportRefused, confirm_import, preview_import
from hazardlog.models import HazardLog, ImportStatus, RiskMatrix, Standard


class _RollBack(Exception):
    """Leaves the transaction without writing: a dry run, or a refused import."""


class Command(BaseCommand):
    help = "Import an NHS hazard log workbook (.xlsx) into the named log; prints the preview report."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The workbook (.xlsx).")
        parser.add_argument("--log", required=True, help="The system name of the log; created if there is none.")
        parser.add_argument("--standard", default=Standard.DCB0129, choices=Standard.values)
        parser.add_argument("--dry-run", action="store_true", help="Print the preview report and write nothing.")
        parser.add_argument("--user", help="Username recorded as the importer in the log's history.")

    def handle(self, *args, path, log, standard, dry_run, user, **options):
        file = Path(path)
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        importer = self._user(user)
        try:
            with transaction.atomic():
                target, created = self._log(log, standard, importer)
                record = preview_import(target, file.name, content, importer)
                self._print(record, target, created)
                if record.status != ImportStatus.PREVIEWED or dry_run:
                    raise _RollBack
                confirm_import(record, importer)
        except _RollBack:
            if record.status != ImportStatus.PREVIEWED:
                raise CommandError("The import was refused; nothing was written.") from None
            self.stdout.write("Dry run: nothing was written.")
            return
        except ImportRefused as refusal:
            raise CommandError(f"{refusal} Nothing was written.") from None
        self.stdout.write(self.style.SUCCESS(f"Imported into {target}."))

    def _user(self, username):
        if not username:
            return None
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no user '{username}'.") from None

    def _log(self, name: str, standard: str, user) -> tuple[HazardLog, bool]:
        found = HazardLog.objects.filter(name=name, standard=standard).first()
        if found:
            return found, False
        log = HazardLog(name=name, standard=standard, matrix=RiskMatrix.objects.get(name=nhs_matrix.NAME))
        log._change_reason = "Created by import_hazard_log"
        log._history_user = user
        log.save()
        return log, True

    def _print(self, record, log, created: bool) -> None:
        report = record.report
        out = self.stdout.write
        out(f"{record.file_name} → {log}{' (new log)' if created else ''}")
        if report.get("layout"):
            out(f"Layout: {report['layout']}, sheet '{report.get('sheet', '')}'")
        counts = report["counts"]
        if report.get("layout"):
            out(
                f"Hazards: {counts['create']} to create, {counts['update']} to update, {counts['unchanged']} "
                f"unchanged; {counts['missing_from_file']} in the log but not in the file (kept)."
            )
        if tally := report.get("tally"):
            out(
                f"Cells: {tally['read']} read, {tally['stored']} stored in fields, {tally['additional']} kept as "
                f"additional columns, {tally['sheets']} kept in sheets, {tally['not_imported']} not imported."
            )
            for cell in tally["not_imported_cells"]:
                out(f"  not imported {cell['sheet']}!{cell['cell']}: {cell['reason']}")
        for source in report.get("sources", []):
            header = _one_line(source["header"], 40)
            out(f"  column {source['column']} '{header}' → {source['field']} ({source['how']})")
        for hazard in report["hazards"]:
            out(f"  {hazard['action']:<9} {hazard['reference']}  {hazard['name']}")
            for change in hazard["changes"]:
                out(f"      {change['field']}: {_one_line(change['old'])!r} → {_one_line(change['new'])!r}")
        if report["missing_from_file"]:
            out("Not in the file (kept, not deleted): " + ", ".join(report["missing_from_file"]))
        for change in report.get("log_changes", []):
            out(f"  cover     {change['field']}: {_one_line(change['old'])!r} → {_one_line(change['new'])!r}")
        for level in ("error", "warning"):
            messages = [m for m in report["messages"] if m["level"] == level]
            if messages:
                out(f"{level.capitalize()}s ({len(messages)}):")
            for m in messages:
                place = "!".join(part for part in (m["sheet"], f"{m['column']}{m['row'] or ''}") if part)
                out(f"  {place + ': ' if place else ''}{m['message']}")


def _one_line(text: str, length: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"
