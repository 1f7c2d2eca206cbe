"""`manage.py safety_case_report NAME --issue N --output PATH [--format docx|pdf] [--standard DCB0129|DCB0160]`:
the issue's frozen report, checked against its SHA-256."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hazardlog.management.commands.export_hazard_log import _find_log
from hazardlog.models import LogIssue, Standard
from safetycase.report import REPORT_FORMATS, FrozenReportAltered, PdfUnavailable, frozen_report


class Command(BaseCommand):
    help = "Write the Clinical Safety Case Report of an approved issue of a hazard log. NAME is the system name."

    def add_arguments(self, parser):
        parser.add_argument("name", metavar="NAME", help="The hazard log's system name.")
        parser.add_argument("--issue", required=True, help="The approved issue's number, for example 1.0.")
        parser.add_argument("--output", required=True, help="File to write.")
        parser.add_argument("--format", choices=list(REPORT_FORMATS), default="docx", help="Default: docx.")
        parser.add_argument("--standard", choices=Standard.values, help="Which log, when two logs share the name.")

    def handle(self, *args, **options):
        log = _find_log(options["name"], options["standard"])
        issue = LogIssue.objects.filter(log=log, number=options["issue"]).first()
        if issue is None:
            numbers = ", ".join(log.issues.values_list("number", flat=True)) or "none yet"
            raise CommandError(f"{log} has no approved issue {options['issue']} (its issues: {numbers}).")
        path = Path(options["output"])
        if not path.parent.is_dir():
            raise CommandError(f"Cannot write {path}: the folder {path.parent} does not exist.")
        try:
            # The report frozen at approval (or on its first request, for the PDF and for older issues).
            content = bytes(frozen_report(issue, options["format"]).content)
        except PdfUnavailable as error:
            raise CommandError(str(error)) from None
        except FrozenReportAltered as error:
            raise CommandError(
                f"{error} Recorded {error.report.sha256}, stored bytes {error.computed}: not written."
            ) from None
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
        self.stdout.write(f"Wrote {path} (safety case report of issue {issue.number}, {len(content):,} bytes).")
