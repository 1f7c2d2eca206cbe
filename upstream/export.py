"""The deployer's NHS workbook marks each local hazard that evaluates a manufacturer's hazard with the
manufacturer's reference: an additional column after the template's, written by hazardlog's own writer
(`hazardlog.exports.export` calls `mark_upstream` on the snapshot it writes)."""

import dataclasses

from hazardlog.models import Standard
from hazardlog.workbook import layout

from .models import Applicability, Evaluation

MARK_HEADER = layout.UPSTREAM_MARK_HEADER


def manufacturer_references(log) -> dict[str, str]:
    """Local hazard reference → the manufacturer's log, version and hazard reference (and "not applicable")."""
    if log.standard != Standard.DCB0160:
        return {}
    marks = {}
    evaluations = Evaluation.objects.filter(log=log, local_hazard__isnull=False).select_related(
        "local_hazard", "upstream_hazard__source"
    )
    for evaluation in evaluations:
        source = evaluation.upstream_hazard.source if evaluation.upstream_hazard else None
        version = f" version {source.version}" if source else ""
        text = f"{evaluation.manufacturer} {evaluation.system}{version}: {evaluation.reference}"
        if evaluation.applicable == Applicability.NO:
            text += " (does not apply to this deployment)"
        marks[evaluation.local_hazard.reference] = text
    return marks


def mark_upstream(snapshot, log):
    """The snapshot with the manufacturer's reference added to the additional columns of each local hazard."""
    marks = manufacturer_references(log)
    if not marks:
        return snapshot
    hazards = tuple(
        dataclasses.replace(row, additional_columns=(*row.additional_columns, (MARK_HEADER, marks[row.reference])))
        if row.reference in marks
        else row
        for row in snapshot.hazards
    )
    return dataclasses.replace(snapshot, hazards=hazards)


def sources_at(log, moment=None) -> list[dict]:
    """The manufacturers' logs the DCB0160 log had brought in at `moment` (now if None), for its safety case
    report: manufacturer, system, version, issue date, file name and SHA-256, oldest first."""
    sources = log.upstream_sources.defer("content").order_by("brought_in_at", "pk")
    if moment is not None:
        sources = sources.filter(brought_in_at__lte=moment)
    return [
        {
            "manufacturer": s.manufacturer,
            "system": s.system,
            "version": s.version,
            "issue_date": s.issue_date,
            "file_name": s.file_name,
            "sha256": s.sha256,
        }
        for s in sources
    ]
