"""`manage.py import_hazard_log PATH --log NAME [--standard DCB0129] [--dry-run] [--user USERNAME]
[--hazards-only | --replace-cover]`

Reads the workbook once and imports it into the log named NAME (created with the NHS risk matrix if there
is none) in one pass: guard, read, validate, plan, print the report, write unless --dry-run. All or
nothing: on any error nothing is written, not even the new log, and the command exits with status 1.
--dry-run writes nothing at all.

A workbook whose cover says it is another standard's (or, for a log that already existed, another system's)
log, or whose cover details differ from the log's, is refused unless the importer says what to do with the
cover page: --hazards-only imports the hazards and leaves the log's cover page as it is; --replace-cover
replaces it with the workbook's.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from hazardlog import nhs_matrix
from hazardlog.imports import HAZARDS_ONLY, REPLACE_COVER, import_in_one_pass
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
        cover = parser.add_mutually_exclusive_group()
        cover.add_argument(
            "--hazards-only",
            action="store_const",
            dest="cover",
            const=HAZARDS_ONLY,
            help="Import the hazards only: leave the log's cover page (and document history) as it is.",
        )
        cover.add_argument(
            "--replace-cover",
            action="store_const",
            dest="cover",
            const=REPLACE_COVER,
            help="Replace the log's cover page with the workbook's, even where they differ.",
        )

    def handle(self, *args, path, log, standard, dry_run, user, cover=None, **options):
        file = Path(path)
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        importer = self._user(user)
        try:
            with transaction.atomic():
                target, created = self._log(log, standard, importer)
                record = import_in_one_pass(
                    target, file.name, content, importer, cover=cover, new_log=created, write=not dry_run
                )
                self._print(record, target, created)
                if record.status != ImportStatus.APPLIED:
                    raise _RollBack
        except _RollBack:
            if record.status == ImportStatus.REFUSED:
                raise CommandError("The import was refused; nothing was written.") from None
            differences = record.report.get("cover_differences", [])
            if dry_run:
                if differences and not cover:
                    self.stdout.write(_COVER_CHOICE)
                self.stdout.write("Dry run: nothing was written.")
                return
            raise CommandError(
                "The workbook's cover page differs from the log's: "
                + "; ".join(f"{d['field']} “{d['workbook']}” (the log's: “{d['log']}”)" for d in differences)
                + ". Nothing was written. "
                + _COVER_CHOICE
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Imported into {target}."))
        if record.report.get("cover") == HAZARDS_ONLY:
            self.stdout.write("Hazards only: the log's cover page was left as it was.")

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
                + (f" {n} in the export's own hidden sheet." if (n := tally.get("export_structure")) else "")
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
        for difference in report.get("cover_differences", []):
            out(
                f"  differs   {difference['field']}: the log's {_one_line(difference['log'])!r}, "
                f"the workbook's {_one_line(difference['workbook'])!r}"
            )
        for change in report.get("log_changes", []):
            out(f"  cover     {change['field']}: {_one_line(change['old'])!r} → {_one_line(change['new'])!r}")
        for level in ("error", "warning"):
            messages = [m for m in report["messages"] if m["level"] == level]
            if messages:
                out(f"{level.capitalize()}s ({len(messages)}):")
            for m in messages:
                place = "!".join(part for part in (m["sheet"], f"{m['column']}{m['row'] or ''}") if part)
                out(f"  {place + ': ' if place else ''}{m['message']}")


_COVER_CHOICE = (
    "Run it again with --hazards-only to import the hazards and leave the log's cover page as it is, or with "
    "--replace-cover to replace the log's cover page with the workbook's."
)


def _one_line(text: str, length: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"
