"""`manage.py export_hazard_log NAME --output PATH [--format nhs|data-xlsx|csv] [--standard DCB0129|DCB0160]`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hazardlog.exports import KINDS, export
from hazardlog.models import HazardLog, Standard
from hazardlog.workbook.writer import CellTooLong


class Command(BaseCommand):
    help = (
        "Export a hazard log: the NHS workbook (nhs, the default), or its data one row per control "
        "(data-xlsx, csv). NAME is the log's system name."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", metavar="NAME", help="The hazard log's system name.")
        parser.add_argument(
            "--output", required=True, help="File to write; if it is a folder, a dated file name is chosen."
        )
        parser.add_argument("--format", choices=list(KINDS), default="nhs", help="Default: nhs.")
        parser.add_argument("--standard", choices=Standard.values, help="Which log, when two logs share the name.")

    def handle(self, *args, **options):
        log = _find_log(options["name"], options["standard"])
        try:
            content, filename, _ = export(log, options["format"])
        except CellTooLong as error:
            raise CommandError(str(error)) from None
        path = Path(options["output"])
        if path.is_dir():
            path = path / filename
        if not path.parent.is_dir():
            raise CommandError(f"Cannot write {path}: the folder {path.parent} does not exist.")
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
        hazards = log.hazards.count()
        self.stdout.write(f"Wrote {path} ({options['format']}, {hazards} hazards, {len(content):,} bytes).")


def _find_log(name: str, standard: str | None) -> HazardLog:
    logs = HazardLog.objects.filter(name=name)
    if standard:
        logs = logs.filter(standard=standard)
    found = list(logs)
    if len(found) == 1:
        return found[0]
    if found:
        standards = " or ".join(f"--standard {log.standard}" for log in found)
        raise CommandError(f"{len(found)} hazard logs are named {name!r}: add {standards}.")
    where = f" for {standard}" if standard else ""
    names = list(HazardLog.objects.order_by("name").values_list("name", flat=True).distinct()[:20])
    known = "; ".join(names) if names else "there are no hazard logs yet"
    raise CommandError(f"No hazard log is named {name!r}{where}. Logs: {known}.")
