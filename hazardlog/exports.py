"""The three exports of a log, one entry point for the web page and the command."""

import re

from django.utils import timezone
from django.utils.text import slugify

from hazardlog.collector import collector_paused
from hazardlog.snapshot import build_snapshot
from hazardlog.spreadsheet import export_data
from hazardlog.workbook.writer import write_nhs_workbook
from upstream.export import mark_upstream

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# kind → (what the file name says, extension, content type)
KINDS = {
    "nhs": ("hazard-log", "xlsx", XLSX),
    "data-xlsx": ("hazard-log-data", "xlsx", XLSX),
    "csv": ("hazard-log-data", "csv", "text/csv; charset=utf-8"),
}
_NOT_IN_VERSION = re.compile(r"[^A-Za-z0-9._-]+")


class UnknownExport(ValueError):
    pass


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise UnknownExport(f"Unknown export {kind!r}: choose one of {', '.join(KINDS)}.")


def export_filename(log, kind: str) -> str:
    """e.g. `epma-dcb0129-hazard-log-v1.2-2026-11-25.xlsx`: the log, its version and today's date."""
    _check(kind)
    what, extension, _ = KINDS[kind]
    version = _NOT_IN_VERSION.sub("-", log.version).strip(".-")
    parts = [slugify(log.name) or "log", log.standard.lower(), what]
    if version:
        parts.append(f"v{version}")
    parts.append(timezone.localdate().isoformat())
    return "-".join(parts) + "." + extension


def export(log, kind: str) -> tuple[bytes, str, str]:
    """(content, file name, content type) of one export of the log as it is now."""
    _check(kind)
    with collector_paused():
        if kind == "nhs":
            # A DCB0160 log's hazards that evaluate a manufacturer's hazard carry the manufacturer's reference.
            content = write_nhs_workbook(mark_upstream(build_snapshot(log), log))
        else:
            content = export_data(log, "csv" if kind == "csv" else "xlsx")
    return content, export_filename(log, kind), KINDS[kind][2]
