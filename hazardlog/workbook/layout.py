"""The NHS hazard log template's layout (domain.md §3): the single source of sheet names, the A–S
column map with its groups, the named ranges, and the header synonyms the reader accepts.
"""

import re
from dataclasses import dataclass

from hazardlog.text import normalise_label

COVER_SHEET = "Cover Page"
VERSION_SHEET = "Version History"
HAZARD_SHEET = "Hazard Log"
MATRIX_SHEET = "Risk Matrix"

# Groups of the row above the column headers.
INITIAL = "Initial Hazard Risk Assessment"
ADDITIONAL = "Additional Controls"
RESIDUAL = "Residual Hazard Risk Assessment"
ACTIONS = "Actions"


@dataclass(frozen=True)
class Column:
    letter: str
    header: str  # the template's wording
    key: str  # what the column holds, as named in our code
    group: str = ""
    width: int = 20


# The 19 columns of the Hazard Log sheet, in the template's order and wording. Widths are narrower than
# the NHS copies' so that, fitted to the width of landscape A4, the printed text is not too small to read.
HAZARD_COLUMNS = [
    Column("A", "Hazard Number", "reference", width=9),
    Column("B", "Hazard Name", "name", width=16),
    Column("C", "Hazard Description", "description", width=24),
    Column("D", "Potential Clinical Impact", "clinical_impact", width=22),
    Column("E", "Possible Causes", "causes", width=26),
    Column("F", "Existing Controls", "existing_controls", width=26),
    Column("G", "Severity", "initial_severity", INITIAL, 11),
    Column("H", "Likelihood", "initial_likelihood", INITIAL, 10),
    Column("I", "Risk", "initial_rating", INITIAL, 7),
    Column("J", "Design", "design_controls", ADDITIONAL, 20),
    Column("K", "Test", "test_controls", ADDITIONAL, 20),
    Column("L", "Training", "training_controls", ADDITIONAL, 20),
    Column("M", "BPC", "bpc_controls", ADDITIONAL, 20),
    Column("N", "Severity", "residual_severity", RESIDUAL, 11),
    Column("O", "Likelihood", "residual_likelihood", RESIDUAL, 10),
    Column("P", "Risk", "residual_rating", RESIDUAL, 7),
    Column("Q", "Summary of Actions/Notes", "actions", ACTIONS, 24),
    Column("R", "Owner", "owner", ACTIONS, 12),
    Column("S", "Status", "status", ACTIONS, 10),
]
COLUMN_BY_KEY = {column.key: column for column in HAZARD_COLUMNS}

# Additional-control columns and the ControlType value each holds.
ADDITIONAL_CONTROL_COLUMNS = {
    "design_controls": "design",
    "test_controls": "test",
    "training_controls": "training",
    "bpc_controls": "bpc",
}

HEADER_FILL = "FFFF99"
STATUS_CHOICES = ["Open", "Closed", "Transferred"]  # the template's drop-down order

# Named ranges on the Risk Matrix sheet (the drop-downs of Severity and Likelihood point at them).
LIKELIHOOD_RANGE = ("Likelihood", "$C$2:$C$6")  # Very high … Very low, top to bottom
CONSEQUENCE_RANGE = ("Consequence", "$D$7:$H$7")  # Minor … Catastrophic, left to right
MATRIX_VALUES_RANGE = "$D$2:$H$6"

# Cover page labels, column A (values in column B), in the template's order.
COVER_FIELDS = [
    ("Programme", "programme"),
    ("Sub-Prog / Project", "sub_programme"),
    ("Prog. Director", "programme_director"),
    ("Owner", "owner"),
    ("Author", "author"),
    ("Document Record ID Key", "document_reference"),
    ("Status", "document_status"),
    ("Version", "version"),
    ("Version Date", "version_date"),
    ("Document Purpose", "purpose"),
]

# Where the writer puts each cover field: key → (label cell, value cell), as in the NHS copies
# (the Document Record ID Key's value sits below its label). The last two are ours.
COVER_CELLS = {
    "programme": ("A9", "B9"),
    "sub_programme": ("A10", "B10"),
    "programme_director": ("A11", "B11"),
    "owner": ("A12", "B12"),
    "author": ("A13", "B13"),
    "document_reference": ("C9", "C10"),
    "document_status": ("C11", "D11"),
    "version": ("C12", "D12"),
    "version_date": ("C13", "D13"),
    "purpose": ("A17", "A18"),
    "clinical_safety_officer": ("A14", "B14"),
    "standard": ("C14", "D14"),
}
COVER_TITLE_CELL = "A8"
COVER_MERGED = ("A8:D8", "C9:D9", "C10:D10", "A18:F18")
# Where an import keeps the cells of an imported Cover Page or Version History that the export's own layout
# would cover (on the Version History, all of them): a sheet of their own, so they come back where they were.
NOTES_SUFFIX = " notes"
# The Version History row the export adds for a version after the last approved issue.
WORKING_VERSION = "Working version, not yet an approved issue"
COVER_EXTRA_LABELS = {"clinical_safety_officer": "Clinical Safety Officer", "standard": "Standard"}

# Rows of the Hazard Log sheet as the writer lays it out (the reader finds them in other files).
GROUP_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3

# Written after column S by the export where causes have ids from an imported workbook: "1) 0101".
CAUSE_IDS_HEADER = "Cause ids"

# What the log holds that the template has no column for, written by the export after column S under these
# headers, each only where some hazard has a value, in this order; then the hazards' additional columns and
# the controls' additional columns under their own headers. Control values are one line per control,
# `Control 3: Supplier`, named by the control's number (the hazard page's "Control 3").
EXTRA_COLUMNS = [
    ("hazard_type", "Hazard type"),
    ("raised_on", "Date raised"),
    ("status_reason", "Status reason"),
    ("initial_rationale", "Initial risk rationale"),
    ("initial_assessed_by", "Initial risk assessed by"),
    ("initial_assessed_at", "Initial risk assessment date"),
    ("residual_rationale", "Residual risk rationale"),
    ("residual_assessed_by", "Residual risk assessed by"),
    ("residual_assessed_at", "Residual risk assessment date"),
    ("cause_ids", CAUSE_IDS_HEADER),
    ("control_ids", "Control ids"),
    ("control_owner", "Control owner"),
    ("implementation_status", "Implementation status"),
    ("evidence", "Evidence"),
    ("evidence_url", "Evidence link"),
]
# The control fields among them, and each one's ControlRow field.
CONTROL_DETAIL_COLUMNS = {
    "control_ids": "source_id",
    "control_owner": "owner",
    "implementation_status": "implementation_status",
    "evidence": "evidence",
    "evidence_url": "evidence_url",
}
# The assessment fields among them (AssessmentRow's, each column keyed "<stage>_<field>"), and the columns that
# hold dates: written as date cells, read as dates.
ASSESSMENT_DETAILS = ("rationale", "assessed_by", "assessed_at")
DATE_COLUMNS = {"raised_on", "initial_assessed_at", "residual_assessed_at"}
# Columns a workbook may give twice (e.g. "Date raised" and "Date identified", or a column an earlier import kept
# before its header was known): the first feeds the field, the others are kept as additional columns, rather
# than the workbook refused as it is for two columns of the template's own.
REPEATABLE = {"raised_on"} | {f"{stage}_{name}" for stage in ("initial", "residual") for name in ASSESSMENT_DETAILS}
EXTRA_WIDTH = 20

# Entries of a control column that say there is none ("2) None": no design control answers cause 2) are no
# control, but the CSO wrote them: the import keeps them with the hazard as an additional column under this
# header, shown on the hazard page, and the export writes them back in their place in the column.
NO_ENTRIES_HEADERS = {
    column.key: f"{column.header} (entries of none)"
    for column in HAZARD_COLUMNS
    if column.key == "existing_controls" or column.key in ADDITIONAL_CONTROL_COLUMNS
}


def control_label(number: int) -> str:
    """What starts a control's line in a control column after S."""
    return f"Control {number}: "


CONTROL_LABEL = re.compile(r"^Control (\d{1,5}): ")
CONTROL_LABEL_LINE = re.compile(r"\nControl \d{1,5}: ")  # a line after the first that starts with a label

# Header text seen in NHS workbooks → our key. Compared after normalise_label (case and spacing).
# Severity, Likelihood and Risk appear twice: the reader tells them apart by group or position.
HEADER_SYNONYMS = {
    "reference": ["hazard number", "hazard no", "hazard no.", "hazard ref", "hazard reference", "num", "number", "id"],
    "name": ["hazard name", "name", "hazard title"],
    "description": ["hazard description", "description"],
    "clinical_impact": ["potential clinical impact", "clinical impact"],
    "causes": ["possible causes", "causes", "cause"],
    "existing_controls": ["existing controls", "existing control"],
    "severity": ["severity", "consequence"],
    "likelihood": ["likelihood"],
    "rating": ["risk", "risk rating", "rating"],
    "design_controls": ["design"],
    "test_controls": ["test", "testing"],
    "training_controls": ["training"],
    "bpc_controls": ["bpc", "business process change", "process"],
    "actions": ["summary of actions/notes", "summary of actions / notes", "summary of actions", "actions", "notes"],
    "owner": ["owner", "hazard owner"],
    "status": ["status", "hazard status"],
    "hazard_type": ["hazard type", "type of hazard"],
    "suggested_actions": ["suggested actions to reduce hazard", "suggested actions"],
    "initial_severity": ["initial consequence", "initial severity"],
    "initial_likelihood": ["initial likelihood"],
    "initial_rating": ["initial risk", "initial risk rating"],
    "residual_severity": ["residual consequence", "residual severity"],
    "residual_likelihood": ["residual likelihood"],
    "residual_rating": ["residual risk", "residual risk rating"],
    "additional_controls": ["additional controls", "additional control"],
    "control_type": ["control type"],
    "control_owner": ["control owner"],
    "action": ["action"],
    "action_status": ["action status"],
    "cause_ids": [CAUSE_IDS_HEADER],
    "status_reason": ["status reason", "reason for the status"],
    "control_ids": ["control ids"],
    "implementation_status": ["implementation status"],
    "evidence": ["evidence"],
    "evidence_url": ["evidence link"],
    # Only these wordings: by their words alone, "Date control added" or "Date action identified" would read
    # as the hazard's date.
    "raised_on": [
        "date raised",
        "date identified",
        "date added",
        "date logged",
        "raised on",
        "date hazard raised",
        "date hazard identified",
        "date hazard added",
        "date hazard logged",
        "hazard raised date",
        "hazard identified date",
    ],
    "initial_rationale": ["initial risk rationale", "initial rationale"],
    "initial_assessed_by": ["initial risk assessed by", "initial assessed by", "initial assessor"],
    "initial_assessed_at": ["initial risk assessment date", "initial assessment date", "initial assessed on"],
    "residual_rationale": ["residual risk rationale", "residual rationale"],
    "residual_assessed_by": ["residual risk assessed by", "residual assessed by", "residual assessor"],
    "residual_assessed_at": ["residual risk assessment date", "residual assessment date", "residual assessed on"],
}
_SYNONYM_INDEX = {normalise_label(text): key for key, texts in HEADER_SYNONYMS.items() for text in texts}


# Wordings not in the list above, recognised by their words (checked in order, on the label without
# punctuation): each is (key, words that must all appear, as word starts; "$" ends a whole word). Real
# logs reword headers ("Suggested actions to mitigate hazard", "Initial Consequence rating", "Hazard name+C:D+C:D").
HEADER_MEANINGS = [
    # Before the stage's risk rules, which "Initial risk rationale" would otherwise meet. "date" alone (a review
    # date, a target date, the date closed) is no field: only with a word that says the hazard was raised.
    ("initial_rationale", ("initial", "rational")),
    ("initial_assessed_at", ("initial", "assess", "date")),
    ("initial_assessed_by", ("initial", "assess", "by$")),
    ("initial_assessed_by", ("initial", "assessor")),
    ("residual_rationale", ("residual", "rational")),
    ("residual_assessed_at", ("residual", "assess", "date")),
    ("residual_assessed_by", ("residual", "assess", "by$")),
    ("residual_assessed_by", ("residual", "assessor")),
    ("suggested_actions", ("suggest", "action")),
    ("suggested_actions", ("action", "mitigat")),
    ("suggested_actions", ("action", "reduc")),
    ("control_owner", ("control", "owner")),
    ("control_type", ("control", "type")),
    ("action_status", ("action", "status")),
    ("additional_controls", ("additional", "control")),
    ("existing_controls", ("existing", "control")),
    ("initial_severity", ("initial", "consequence")),
    ("initial_severity", ("initial", "severity")),
    ("initial_likelihood", ("initial", "likelihood")),
    ("initial_rating", ("initial", "risk")),
    ("residual_severity", ("residual", "consequence")),
    ("residual_severity", ("residual", "severity")),
    ("residual_likelihood", ("residual", "likelihood")),
    ("residual_rating", ("residual", "risk")),
    ("hazard_type", ("hazard", "type")),
    ("hazard_type", ("hazard", "category")),
    ("reference", ("hazard", "number")),
    ("reference", ("hazard", "ref")),
    ("reference", ("hazard", "id$")),
    ("name", ("hazard", "name")),
    ("name", ("hazard", "title")),
    ("description", ("hazard", "description")),
    ("clinical_impact", ("clinical", "impact")),
    ("causes", ("possible", "cause")),
    ("status", ("hazard", "status")),
    ("owner", ("hazard", "owner")),
]
# A stray formula-like tail typed into a header cell, e.g. "Hazard name+C:D+C:D".
_FORMULA_TAIL = re.compile(r"(?:[+=&][$a-z]{1,4}\d*(?::[$a-z]{1,4}\d*)?)+$")


def header_match(text) -> tuple[str, bool] | None:
    """(our key, whether the header is one of the known wordings) for a header cell's text, or None."""
    if text is None:
        return None
    label = normalise_label(str(text))
    if key := _SYNONYM_INDEX.get(label):
        return key, True
    label = _FORMULA_TAIL.sub("", label).strip()
    if key := _SYNONYM_INDEX.get(label):
        return key, False
    words = re.findall(r"[a-z0-9]+", label)
    for key, needed in HEADER_MEANINGS:
        if all(any(f"{word}$".startswith(stem) for word in words) for stem in needed):
            return key, False
    return None


def header_key(text) -> str | None:
    """Our key for a header cell's text (a known wording, or one recognised by its words), or None."""
    match = header_match(text)
    return match[0] if match else None


def group_of(text) -> str | None:
    """Which group a group-row cell names (INITIAL, ADDITIONAL, RESIDUAL, ACTIONS), by its words."""
    label = normalise_label(str(text or ""))
    for group, word in ((INITIAL, "initial"), (RESIDUAL, "residual"), (ADDITIONAL, "additional"), (ACTIONS, "action")):
        if word in label:
            return group
    return None


# Written by the export for a DCB0160 log's hazards that evaluate a manufacturer's hazard (upstream.export), from
# the evaluation itself: derived, so an import reads it as no data (never kept as an additional column).
UPSTREAM_MARK_HEADER = "Manufacturer's reference"
