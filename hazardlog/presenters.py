"""Display logic for the pages: a log's matrix as the pages use it, rating colours, a hazard laid out
for reading, and the counts of the risk matrix page. No writes here."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from hazardlog.models import (
    ControlKind,
    ControlType,
    Hazard,
    HazardStatus,
    RiskAssessment,
    RiskCell,
    RiskRating,
    Role,
    Stage,
)
from hazardlog.models.matrix import LEVELS
from hazardlog.workbook import structure

# A rating's text is black or white, whichever contrasts more with its fill. Pure black, not NHS.UK's
# #212b32, which falls short of 4.5:1 on the template's orange (#E36C0A).
DARK_TEXT = "#000000"
LIGHT_TEXT = "#ffffff"


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG relative luminance of a colour written #RRGGBB."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _linear(red) + 0.7152 * _linear(green) + 0.0722 * _linear(blue)


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(fill: str) -> str:
    """Dark or light text, whichever has the higher WCAG contrast ratio on the fill."""
    return DARK_TEXT if contrast(DARK_TEXT, fill) >= contrast(LIGHT_TEXT, fill) else LIGHT_TEXT


def rating_class(rating) -> str:
    """The CSS class (served by `hazardlog:matrix_css`) that colours a rating of its own matrix."""
    return f"hl-rating--m{rating.matrix_id}-{rating.number}"


def matrix_stylesheet(ratings) -> str:
    rules = []
    for rating in ratings:
        rules.append(
            f".{rating_class(rating)} {{ background-color: {rating.colour}; "
            f"border-color: {rating.colour}; color: {text_colour_on(rating.colour)}; }}"
        )
    return "\n".join(rules) + "\n"


def colours_version(ratings) -> str:
    """Changes whenever a rating's colour changes, so the stylesheet can be cached for long."""
    text = "|".join(f"{r.number}:{r.colour.upper()}" for r in sorted(ratings, key=lambda r: r.number))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass
class MatrixView:
    """A log's risk matrix loaded in one query (its 25 cells with their levels and ratings)."""

    matrix_id: int
    severities: list = field(default_factory=list)  # lowest rank first
    likelihoods: list = field(default_factory=list)
    ratings: dict = field(default_factory=dict)  # number -> RiskRating
    cells: dict = field(default_factory=dict)  # (severity rank, likelihood rank) -> RiskRating

    @classmethod
    def load(cls, matrix_id: int) -> "MatrixView":
        view = cls(matrix_id=matrix_id)
        severities, likelihoods = {}, {}
        for cell in RiskCell.objects.filter(matrix_id=matrix_id).select_related("severity", "likelihood", "rating"):
            severities[cell.severity.rank] = cell.severity
            likelihoods[cell.likelihood.rank] = cell.likelihood
            view.ratings[cell.rating.number] = cell.rating
            view.cells[(cell.severity.rank, cell.likelihood.rank)] = cell.rating
        view.severities = [severities[rank] for rank in sorted(severities)]
        view.likelihoods = [likelihoods[rank] for rank in sorted(likelihoods)]
        view.ratings = dict(sorted(view.ratings.items()))
        return view

    def rating_at(self, severity_rank: int, likelihood_rank: int):
        return self.cells.get((severity_rank, likelihood_rank))

    def severity(self, rank: int):
        return next((level for level in self.severities if level.rank == rank), None)

    def likelihood(self, rank: int):
        return next((level for level in self.likelihoods if level.rank == rank), None)

    @property
    def colours_version(self) -> str:
        return colours_version(self.ratings.values())

    def grid_json(self) -> dict:
        """What the hazard form's script needs to show the rating as levels are chosen."""
        return {
            f"{s}-{lk}": {
                "number": r.number,
                "label": r.label,
                "acceptability": r.acceptability,
                "class": rating_class(r),
            }
            for (s, lk), r in self.cells.items()
        }


def next_reference(log) -> str:
    """A suggestion for a new hazard's reference: the log's prefix and one more than its highest number."""
    last = Hazard.objects.filter(log=log).order_by("-reference_sort", "-id").values_list("reference", flat=True).first()
    if not last:
        return "H1"
    head = last.rstrip("0123456789")
    tail = last[len(head) :]
    if not tail:
        return f"{last}-1"
    return f"{head}{int(tail) + 1:0{len(tail)}d}"


# --- A hazard laid out for reading -------------------------------------------------------------------


def control_title(number: int, kind: str, control_type: str = "") -> str:
    """How every page names a control: by its stored number, which is its identity (the data export's
    Control Number), with its kind and type. The NHS workbook lists it under the numbers of the causes it
    answers instead, which the hazard page shows beside it."""
    kind_label = dict(ControlKind.choices).get(kind, kind).lower()
    if control_type:
        return f"Control {number} ({kind_label}, {dict(ControlType.choices).get(control_type, control_type)})"
    return f"Control {number} ({kind_label})"


@dataclass
class CauseWithControls:
    cause: object
    existing: list
    additional: list


@dataclass
class HazardReading:
    hazard: object
    causes: list  # CauseWithControls, by number
    unlinked_existing: list  # controls that answer no (current) cause
    unlinked_additional: list
    existing_by_type: list  # [(type label, [controls])]
    additional_by_type: list
    initial: object
    residual: object
    withdrawn_causes: list
    withdrawn_controls: list


def _by_type(controls) -> list:
    labels = dict(ControlType.choices)
    grouped = defaultdict(list)
    for control in controls:
        grouped[control.control_type].append(control)
    order = [*ControlType.values, ""]
    # Controls without a type (usual for existing controls, as in the NHS template) come last, unheaded.
    return [(labels.get(kind, ""), grouped[kind]) for kind in order if grouped[kind]]


def read_hazard(hazard) -> HazardReading:
    """Group a hazard's (prefetched) causes and controls as a CSO reads them: each cause with the
    controls that answer it, then the controls by kind and type."""
    causes = [c for c in hazard.causes.all() if not c.withdrawn]
    every_control = list(hazard.controls.all())
    for control in every_control:
        control.title = control_title(control.number, control.kind, control.control_type)
    controls = [c for c in every_control if not c.withdrawn]
    current = {cause.pk for cause in causes}
    answering = defaultdict(lambda: {ControlKind.EXISTING: [], ControlKind.ADDITIONAL: []})
    unlinked = {ControlKind.EXISTING: [], ControlKind.ADDITIONAL: []}
    for control in controls:
        linked = [cause for cause in control.causes.all() if cause.pk in current]
        for cause in linked:
            answering[cause.pk][control.kind].append(control)
        if not linked:
            unlinked[control.kind].append(control)
        # The numbers the NHS workbook lists the control under.
        control.cause_numbers = sorted(cause.number for cause in linked)
    existing = [c for c in controls if c.kind == ControlKind.EXISTING]
    additional = [c for c in controls if c.kind == ControlKind.ADDITIONAL]
    return HazardReading(
        hazard=hazard,
        causes=[
            CauseWithControls(
                cause, answering[cause.pk][ControlKind.EXISTING], answering[cause.pk][ControlKind.ADDITIONAL]
            )
            for cause in causes
        ],
        unlinked_existing=unlinked[ControlKind.EXISTING],
        unlinked_additional=unlinked[ControlKind.ADDITIONAL],
        existing_by_type=_by_type(existing),
        additional_by_type=_by_type(additional),
        initial=hazard.assessment(Stage.INITIAL),
        residual=hazard.assessment(Stage.RESIDUAL),
        withdrawn_causes=[c for c in hazard.causes.all() if c.withdrawn],
        withdrawn_controls=[c for c in every_control if c.withdrawn],
    )


# --- The risk matrix page ----------------------------------------------------------------------------


@dataclass
class MatrixCell:
    severity: object
    likelihood: object
    rating: object
    initial: int
    residual: int


def matrix_rows(log, matrix: MatrixView) -> list[tuple[object, list[MatrixCell]]]:
    """Rows from the most likely down, cells from the least severe across, each with how many of the
    log's hazards sit there initially and after controls (one query). Hazards entered in error are not
    counted, as the list a cell links to leaves them out."""
    counts = defaultdict(int)
    # Grouped by level ids, not ranks: no join to the level tables (make load: the page's cost).
    severity_rank = {level.pk: level.rank for level in matrix.severities}
    likelihood_rank = {level.pk: level.rank for level in matrix.likelihoods}
    for stage, severity_id, likelihood_id, number in (
        RiskAssessment.objects.filter(hazard__log=log, hazard__entered_in_error=False)
        .order_by()
        .values_list("stage", "severity_id", "likelihood_id")
        .annotate(n=Count("id"))
    ):
        counts[(stage, severity_rank.get(severity_id), likelihood_rank.get(likelihood_id))] = number
    return [
        (
            likelihood,
            [
                MatrixCell(
                    severity=severity,
                    likelihood=likelihood,
                    rating=matrix.rating_at(severity.rank, likelihood.rank),
                    initial=counts[(Stage.INITIAL, severity.rank, likelihood.rank)],
                    residual=counts[(Stage.RESIDUAL, severity.rank, likelihood.rank)],
                )
                for severity in matrix.severities
            ],
        )
        for likelihood in reversed(matrix.likelihoods)
    ]


# --- The hazard logs page ----------------------------------------------------------------------------


@dataclass
class LogSummary:
    log: object
    role: str
    total: int
    by_status: list  # [(status label, count)]
    by_residual: list  # [(RiskRating, count)], highest rating first
    not_assessed: int


def log_summaries(user) -> list[LogSummary]:
    """The user's logs, each with its hazard counts by status and by residual rating (four queries).

    Counted by two plain GROUP BYs, not as annotations of the logs: counting distinct hazards over the join
    of logs, hazards and assessments sorted 20,000 rows on disk for a 10,000-hazard log (make load)."""
    from hazardlog.access import logs_for

    logs = list(logs_for(user).annotate(role=F("memberships__role")).order_by("name", "standard"))
    ids = [log.pk for log in logs]
    ratings = defaultdict(dict)
    rating_numbers = {}
    for rating in RiskRating.objects.filter(matrix__in={log.matrix_id for log in logs}):
        ratings[rating.matrix_id][rating.number] = rating
        rating_numbers[rating.pk] = rating.number
    # Hazards entered in error are kept but not counted.
    by_status, totals = defaultdict(int), defaultdict(int)
    for log_id, status, number in (
        Hazard.objects.filter(log__in=ids, entered_in_error=False)
        .order_by()
        .values_list("log_id", "status")
        .annotate(n=Count("id"))
    ):
        by_status[(log_id, status)] = number
        totals[log_id] += number
    by_rating = defaultdict(int)
    for log_id, rating_id, number in (
        RiskAssessment.objects.filter(hazard__log__in=ids, hazard__entered_in_error=False, stage=Stage.RESIDUAL)
        .order_by()
        .values_list("hazard__log_id", "rating_id")
        .annotate(n=Count("id"))
    ):
        by_rating[(log_id, rating_numbers.get(rating_id))] += number
    summaries = []
    for log in logs:
        total = totals[log.pk]
        by_residual = [
            (ratings[log.matrix_id][n], by_rating[(log.pk, n)])
            for n in range(LEVELS, 0, -1)
            if n in ratings[log.matrix_id]
        ]
        summaries.append(
            LogSummary(
                log=log,
                role=Role(log.role).label,
                total=total,
                by_status=[(label, by_status[(log.pk, value)]) for value, label in HazardStatus.choices],
                by_residual=by_residual,
                not_assessed=total - sum(count for _, count in by_residual),
            )
        )
    return summaries


# --- A log's hazard list -----------------------------------------------------------------------------


def _rating_number(stage: str):
    # order_by(): without it the model's ordering joins the hazard and its log into every row's subquery.
    assessment = RiskAssessment.objects.filter(hazard=OuterRef("pk"), stage=stage).order_by()
    return Subquery(assessment.values("rating__number")[:1])


def hazard_list(log):
    """The log's hazards with what the list shows: ratings as numbers, in natural reference order.
    Hazards entered in error are left out (`entered_in_error` lists them)."""
    return (
        Hazard.objects.filter(log=log, entered_in_error=False)
        .only("id", "log_id", "reference", "name", "status", "owner", "updated_at", "reference_sort")
        .annotate(initial_rating=_rating_number(Stage.INITIAL), residual_rating=_rating_number(Stage.RESIDUAL))
        .order_by("reference_sort", "id")
    )


def entered_in_error(log) -> list:
    """The log's hazards marked as entered in error: kept, listed apart from the log's hazards."""
    return list(
        Hazard.objects.filter(log=log, entered_in_error=True)
        .only("id", "log_id", "reference", "name", "entered_in_error_reason", "reference_sort")
        .order_by("reference_sort", "id")
    )


# Each owner found from the one before by the index on (log, owner) (migration 0012), a few index probes in
# all, rather than reading every hazard of the log for its owner as DISTINCT does: one query on both databases.
_OWNERS = """
WITH RECURSIVE owners(owner) AS (
    SELECT min(owner) FROM hazardlog_hazard WHERE log_id = %s AND NOT entered_in_error AND owner <> ''
    UNION ALL
    SELECT (SELECT min(h.owner) FROM hazardlog_hazard h
            WHERE h.log_id = %s AND NOT h.entered_in_error AND h.owner > owners.owner)
    FROM owners WHERE owners.owner IS NOT NULL
)
SELECT owner FROM owners WHERE owner IS NOT NULL
"""


def owners(log) -> list[str]:
    """The owners named in the log's hazards, in order, for the list's owner filter."""
    with connection.cursor() as cursor:
        cursor.execute(_OWNERS, [log.pk, log.pk])
        return [owner for (owner,) in cursor.fetchall()]


@dataclass
class HazardListRow:
    hazard: object
    initial: object  # RiskRating or None
    residual: object
    href: str  # the hazard's page
    updated: str  # the day it was last updated, as the list shows it


def hazard_rows(hazards, matrix: MatrixView, log) -> list[HazardListRow]:
    """The rows of a page of the hazard list, with their links and dates made here rather than in the
    template: reversing a URL and formatting a date cost tens of microseconds each, times 50 rows."""
    href = hazard_href(log)
    days = {}
    rows = []
    for hazard in hazards:
        day = timezone.localtime(hazard.updated_at).date()
        if day not in days:
            days[day] = date_format(day, "j M Y")
        rows.append(
            HazardListRow(
                hazard,
                matrix.ratings.get(hazard.initial_rating),
                matrix.ratings.get(hazard.residual_rating),
                href=href(hazard.pk),
                updated=days[day],
            )
        )
    return rows


def hazard_href(log):
    """A function giving the page of each of the log's hazards by its id, with the URL reversed once."""
    placeholder = "0"  # any id: only the last path segment, the hazard's id, is replaced
    head, _, tail = reverse("hazardlog:hazard_detail", args=[log.pk, placeholder]).rpartition(f"/{placeholder}/")
    return lambda hazard_id: f"{head}/{hazard_id}/{tail}"


@dataclass
class SortColumn:
    href: str
    aria_sort: str  # "ascending", "descending" or "none"


def sort_columns(params, *, ranked: bool) -> dict[str, SortColumn]:
    """Each sortable column's heading link: a click sorts by it, a second click reverses."""
    from hazardlog.filters import BEST_MATCH, SORTS

    # Best match (the form's first choice, so sent whenever the form is) is the order of a search's results
    # (`ranked`), where no column is sorted; without a search it is hazard number order (filters.SortFilter).
    current = params.get("sort") or BEST_MATCH
    if current == BEST_MATCH and not ranked:
        current = "reference"
    columns = {}
    for param in SORTS:
        query = params.copy()
        query.pop("page", None)
        if current == param:
            aria, query["sort"] = "ascending", f"-{param}"
        elif current == f"-{param}":
            aria, query["sort"] = "descending", param
        else:
            aria, query["sort"] = "none", param
        columns[param] = SortColumn(href="?" + query.urlencode(), aria_sort=aria)
    return columns


@dataclass
class PageLink:
    number: int | None  # None for an ellipsis
    href: str = ""
    current: bool = False


def page_links(page, params) -> dict:
    """Previous, numbered and next links for a page of results, keeping the filters and sort."""

    def href(number: int) -> str:
        query = params.copy()
        query["page"] = str(number)
        return "?" + query.urlencode()

    numbers = page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    return {
        "previous": href(page.previous_page_number()) if page.has_previous() else "",
        "next": href(page.next_page_number()) if page.has_next() else "",
        "numbers": [PageLink(n, href(n), n == page.number) if isinstance(n, int) else PageLink(None) for n in numbers],
    }


def log_stylesheets(summaries: list[LogSummary]) -> list[tuple[int, str]]:
    """(matrix id, colours version) of each matrix the logs use, for `rating_stylesheets`."""
    versions = {s.log.matrix_id: colours_version([rating for rating, _ in s.by_residual]) for s in summaries}
    return sorted(versions.items())


# --- An import's preview report (its shape: /work/notes/import.md) ------------------------------------

IMPORT_COUNTS = [
    ("create", "New hazards"),
    ("update", "Hazards that change"),
    ("unchanged", "Hazards unchanged"),
    ("missing_from_file", "In the log but not in the file (kept)"),
    ("errors", "Errors"),
    ("warnings", "Warnings"),
]
IMPORT_TALLY = [
    ("read", "Cells read"),
    ("stored", "Stored in fields"),
    ("additional", "Kept as additional columns"),
    ("sheets", "Kept in sheets"),
    ("not_imported", "Not imported"),
    # Only in a workbook this app exported: its hidden sheet (workbook/structure.py), none of the CSO's data.
    ("export_structure", f"In this app's own hidden sheet '{structure.SHEET}' (where list items start)"),
]


class ImportReport:
    """The report of an import as the preview page reads it: counts, then each hazard, then every message."""

    def __init__(self, report: dict):
        report = report or {}
        counts = report.get("counts", {})
        self.counts = [(label, counts.get(key, 0)) for key, label in IMPORT_COUNTS]
        self.hazards = report.get("hazards", [])
        self.missing_from_file = report.get("missing_from_file", [])
        self.messages = report.get("messages", [])
        self.layout = report.get("layout", "")
        self.log_changes = report.get("log_changes", [])  # cover-page details the workbook changes
        tally = report.get("tally")  # where every cell went (reader.Tally); absent from older reports
        self.tally = [
            (label, tally.get(key, 0))
            for key, label in (IMPORT_TALLY if tally else [])
            if key != "export_structure" or tally.get(key)
        ]
        self.not_imported_cells = tally.get("not_imported_cells", []) if tally else []
        self.sources = report.get("sources", [])  # which source column fed which field
        self.sheet = report.get("sheet", "")

    @property
    def created(self) -> list[dict]:
        return [hazard for hazard in self.hazards if hazard.get("action") == "create"]

    @property
    def updated(self) -> list[dict]:
        return [hazard for hazard in self.hazards if hazard.get("action") == "update"]

    @property
    def unchanged(self) -> list[dict]:
        return [hazard for hazard in self.hazards if hazard.get("action") == "unchanged"]
