"""The report as a Word document (python-docx), in the order of the NHS CSCR template: front matter, the
narrative sections with the tables built from the issue's snapshot after the sections they belong to, the
completeness findings, and the Clinical Safety Officer's statement and approval."""

import io
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import lxml.html
from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt

from hazardlog.models import ControlKind, HazardStatus, ImplementationStatus, Standard
from resources.guidance import render_markdown

from ..checks import Result
from ..checks.control import acceptable_rating
from ..models import TestIssueStatus
from ..sections import SECTIONS

STATUS_LABELS = dict(HazardStatus.choices)
IMPLEMENTATION_LABELS = dict(ImplementationStatus.choices)
NOT_WRITTEN = "Not written."


@dataclass(frozen=True)
class ReportInput:
    issue: object  # LogIssue
    case: object  # checks.CaseData
    details: object  # historical SafetyCase at approval, or None
    documents: list
    results: list[Result]
    diff: object  # hazardlog.issues.IssueDiff since the previous issue, or None
    signature: object = None  # safetycase.IssueSignature (None before signatures were kept, or a draft)
    draft: bool = False  # the next issue's report previewed before approval
    upstream_sources: list = field(default_factory=list)  # a DCB0160 log's manufacturers' logs (upstream.export)


DRAFT_MARK = "DRAFT — not approved"


# Characters XML 1.0 cannot hold (a pasted vertical tab, say): left out of the document rather than refused.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _cell_xml(value, width, size) -> str:
    """One table cell as WordprocessingML: a paragraph per line of the text."""
    run_properties = f'<w:rPr><w:sz w:val="{size}"/></w:rPr>' if size else ""
    paragraphs = "".join(
        f'<w:p><w:r>{run_properties}<w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>'
        for line in _NOT_XML.sub("", str(value)).split("\n")
    )
    cell_width = f'<w:tcW w:w="{width}" w:type="dxa"/>' if width else ""
    return f"<w:tc><w:tcPr>{cell_width}</w:tcPr>{paragraphs}</w:tc>"


def _table(document, headers, rows, widths=None, font_size=None):
    """A bordered table with a bold header row repeated on every page. The body rows are written as XML in
    one parse: python-docx's cell-by-cell API takes about a minute for a 1,000-hazard log."""
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(header)
        run.bold = True
        if font_size:
            run.font.size = Pt(font_size)
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    twips = [int(Cm(width).twips) for width in widths] if widths else [0] * len(headers)
    size = int(font_size * 2) if font_size else 0  # w:sz is in half points
    body = "".join(
        "<w:tr>" + "".join(_cell_xml(v, w, size) for v, w in zip(values, twips, strict=True)) + "</w:tr>"
        for values in rows
    )
    for row in parse_xml(f"<w:tbl {nsdecls('w')}>{body}</w:tbl>"):
        table._tbl.append(row)
    if widths:
        # LibreOffice reads the grid's column widths, Word the cells': set both.
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Cm(width)
        for cell, width in zip(table.rows[0].cells, widths, strict=True):
            cell.width = Cm(width)
    document.add_paragraph()
    return table


def _monospace(cell):
    """A checksum on one line, in a font where each character is told apart."""
    for paragraph in cell.paragraphs:
        for run in paragraph.runs:
            run.font.name = "Courier New"
            run.font.size = Pt(8)


def _markdown(document, text: str):
    """The section's Markdown, rendered and sanitised as on the page, as Word paragraphs, lists and tables."""
    if not text.strip():
        document.add_paragraph(NOT_WRITTEN)
        return
    html = render_markdown(text)[0]
    for element in lxml.html.fragments_fromstring(html):
        if isinstance(element, str):
            if element.strip():
                document.add_paragraph(element.strip())
            continue
        tag = element.tag
        if tag in {"h2", "h3", "h4"}:
            document.add_heading(element.text_content(), level=3)
        elif tag in {"ul", "ol"}:
            style = "List Bullet" if tag == "ul" else "List Number"
            for item in element.findall("li"):
                document.add_paragraph(item.text_content().strip(), style=style)
        elif tag == "table":
            rows = [[cell.text_content() for cell in row.findall("./*")] for row in element.iter("tr")]
            if rows:
                _table(document, rows[0], rows[1:])
        elif tag == "pre":
            document.add_paragraph(element.text_content()).style = "No Spacing"
        else:
            document.add_paragraph(element.text_content())


def _rating_text(matrix: dict, assessment: dict | None) -> str:
    if assessment is None:
        return "Not assessed"
    label = next(label for number, label, *_ in matrix["ratings"] if number == assessment["rating"])
    return f"{assessment['rating']} {label} ({assessment['severity']} / {assessment['likelihood']})"


def _date(value) -> str:
    return timezone.localtime(value).strftime("%-d %B %Y")


def _day(value) -> str:
    return value.strftime("%-d %B %Y") if value else "Not given"


def _approval_sentence(data: ReportInput, snapshot: dict, approver: str) -> str:
    issue = data.issue
    if data.draft:
        return (
            f"{DRAFT_MARK}. This is a preview, made on {_date(issue.approved_at)}, of the report that would accompany "
            f"the next issue of the {snapshot['name']} hazard log. It is not signed."
        )
    return (
        f"This report accompanies issue {issue.number} of the {snapshot['name']} hazard log, approved on "
        f"{_date(issue.approved_at)} by {approver}, Clinical Safety Officer."
    )


def _front_matter(document, data: ReportInput, snapshot: dict, approver: str):
    issue, details, signature = data.issue, data.details, data.signature
    document.add_heading("Clinical Safety Case Report", level=0)
    if data.draft:
        document.add_paragraph(DRAFT_MARK).runs[0].bold = True
    standard = "DCB0160 (deployment)" if snapshot["standard"] == Standard.DCB0160 else "DCB0129 (manufacture)"
    document.add_paragraph(f"{snapshot['name']} — {standard}").runs[0].bold = True
    document.add_paragraph(_approval_sentence(data, snapshot, approver))
    table = _table(
        document,
        ["Document detail", "Value"],
        [
            ("Document reference", details.report_reference if details else ""),
            ("Programme", snapshot["programme"]),
            ("Project", snapshot["sub_programme"]),
            ("Document owner", snapshot["owner"]),
            ("Version", issue.number),
            ("Authors", snapshot["author"]),
            ("Issue date", _date(issue.approved_at)),
            ("Clinical Safety Officer", _cso(snapshot, signature, approver)),
            ("Hazard log issue", f"Issue {issue.number} of the {snapshot['name']} hazard log"),
            ("Hazard log workbook SHA-256", issue.workbook_sha256),
            ("Clinical Risk Management Plan", details.crmp_reference if details else ""),
        ],
        widths=(4.5, 12),
    )
    _monospace(next(cell for cell in table.columns[1].cells if cell.text == issue.workbook_sha256))
    document.add_heading("Revision history", level=1)
    _table(
        document,
        ["Issue", "Date", "Approved by", "Meaning"],
        [(row["number"], row["approved_at"][:10], row["approved_by"], row["meaning"]) for row in snapshot["issues"]],
    )
    _reviewers(document, data)
    document.add_heading("Approvers", level=1)
    if data.draft:
        document.add_paragraph("Not approved: this is a draft.")
    elif signature is not None:
        _table(
            document,
            ["Name", "Professional registration", "Job title", "Signature meaning", "Signed"],
            [
                (
                    signature.name,
                    signature.registration or "Not recorded",
                    signature.job_title or "Not recorded",
                    signature.meaning,
                    timezone.localtime(signature.signed_at).strftime("%-d %B %Y %H:%M"),
                )
            ],
            widths=(3.0, 3.4, 3.8, 3.4, 2.9),
        )
        if signature.password_confirmed:
            document.add_paragraph(
                f"Signed electronically in Hazard Log by {signature.name}, who entered their password again to sign."
            )
    else:
        _table(
            document,
            ["Name", "Role", "Signature meaning", "Date"],
            [(approver, "Clinical Safety Officer", "Approved as CSO", _date(issue.approved_at))],
        )
    document.add_heading("Related documents", level=1)
    rows = [(d.title, d.reference, d.version, d.link) for d in data.documents]
    rows.append(
        (
            f"{snapshot['name']} hazard log, issue {issue.number} (NHS workbook)",
            f"SHA-256 {issue.workbook_sha256}",
            issue.number,
            "",
        )
    )
    _table(document, ["Title", "Reference", "Version", "Link"], rows)
    if data.upstream_sources:
        document.add_heading("Manufacturers' hazard logs", level=1)
        document.add_paragraph(
            "The manufacturers' issued hazard logs this deployment's hazard log evaluates, as brought in when this "
            "issue was approved; each file is kept unchanged with its SHA-256."
        )
        table = _table(
            document,
            ["Manufacturer", "System", "Version", "Issued", "File SHA-256"],
            [
                (s["manufacturer"], s["system"], s["version"], _day(s["issue_date"]), s["sha256"])
                for s in data.upstream_sources
            ],
            widths=(3.2, 3.2, 1.8, 2.6, 5.7),
        )
        for cell in table.columns[4].cells[1:]:
            _monospace(cell)


def _cso(snapshot: dict, signature, approver: str) -> str:
    if signature is None:
        return snapshot["clinical_safety_officer"] or approver
    return ", ".join(part for part in (signature.name, signature.registration, signature.job_title) if part)


def _reviewers(document, data: ReportInput):
    document.add_heading("Reviewers", level=1)
    if data.draft:
        document.add_paragraph("The reviews recorded before approval are listed in the approved issue's report.")
        return
    reviewers = data.signature.reviewers if data.signature is not None else []
    if not reviewers:
        document.add_paragraph("No review was recorded in Hazard Log before this issue was approved.")
        return
    _table(
        document,
        ["Name", "Title", "Date", "Outcome", "Comments"],
        [(r["name"], r["title"], r["date"], r["outcome"], r["comments"]) for r in reviewers],
        widths=(3.2, 3.2, 2.2, 2.6, 5.3),
    )


def _acceptability(document, matrix: dict):
    document.add_paragraph(f"Risk is evaluated against the {matrix['name']} risk matrix:")
    _table(
        document, ["Rating", "Label", "Acceptability"], [(n, label, text) for n, label, text, _ in matrix["ratings"]]
    )


def _control_summaries(document, snapshot: dict):
    matrix, hazards = snapshot["matrix"], snapshot["hazards"]
    document.add_heading("Hazards by residual risk", level=2)
    rows = []
    for number, label, *_ in reversed(matrix["ratings"]):
        refs = [h["reference"] for h in hazards if h["residual"] and h["residual"]["rating"] == number]
        rows.append((f"{number} {label}", len(refs), ", ".join(refs)))
    unassessed = [h["reference"] for h in hazards if not h["residual"]]
    rows.append(("Not assessed", len(unassessed), ", ".join(unassessed)))
    _table(document, ["Residual risk", "Hazards", "Hazard numbers"], rows, widths=(4, 2, 10))

    document.add_heading("Hazards whose residual risk is not acceptable", level=2)
    lowest = acceptable_rating(matrix)
    above = [h for h in hazards if h["residual"] and h["residual"]["rating"] > lowest]
    _table(
        document,
        ["Hazard", "Residual risk", "Justification", "Owner"],
        [
            (
                f"{h['reference']} {h['name']}",
                _rating_text(matrix, h["residual"]),
                h["residual"]["rationale"],
                h["owner"],
            )
            for h in above
        ]
        or [("None", "", "", "")],
    )

    document.add_heading("Open additional controls", level=2)
    open_controls = [
        (
            f"{h['reference']} control {c['number']}",
            c["description"],
            c["owner"],
            IMPLEMENTATION_LABELS.get(c["implementation_status"], c["implementation_status"]),
        )
        for h in hazards
        for c in h["controls"]
        if c["kind"] == ControlKind.ADDITIONAL and c["implementation_status"] != ImplementationStatus.VERIFIED
    ]
    _table(document, ["Control", "Description", "Owner", "Status"], open_controls or [("None", "", "", "")])

    document.add_heading("Transferred hazards", level=2)
    transferred = [
        (f"{h['reference']} {h['name']}", h["owner"], h["status_reason"])
        for h in hazards
        if h["status"] == HazardStatus.TRANSFERRED
    ]
    _table(document, ["Hazard", "Transferred to", "Reason"], transferred or [("None", "", "")])


def _rated(rating) -> str:
    return str(rating.rating) if rating else "none"


def _changes(document, diff):
    document.add_heading("Changes since the previous issue", level=2)
    if diff is None:
        document.add_paragraph("This is the first issue of the hazard log.")
        return
    if diff.is_empty:
        document.add_paragraph(f"No change since issue {diff.older.number}.")
        return
    rows = [("Added", f"{h.reference} {h.name}") for h in diff.added]
    rows += [("Removed", f"{h.reference} {h.name}") for h in diff.removed]
    rows += [("Closed", f"{h.reference} {h.name}") for h in diff.closed]
    rows += [("Re-rated", f"{r.reference} {r.stage.lower()}: {_rated(r.old)} → {_rated(r.new)}") for r in diff.rerated]
    rows += [("Changed", f"{h.reference} {h.name}: {', '.join(c.label for c in h.changes)}") for h in diff.changed]
    rows += [("Log details", f"{c.label}: {c.old} → {c.new}") for c in diff.details]
    document.add_paragraph(f"Since issue {diff.older.number}:")
    _table(document, ["Change", "What"], rows, widths=(3, 13))


def _hazard_log(document, snapshot: dict):
    """The issued hazard log, in a landscape section of its own."""
    section = document.add_section()
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.add_heading(f"The hazard log, issue {snapshot['version']}", level=2)
    matrix = snapshot["matrix"]
    rows = []
    for h in snapshot["hazards"]:
        causes = "\n".join(f"{c['number']}) {c['description']}" for c in h["causes"])
        controls = "\n".join(
            f"{c['number']}) {'Existing' if c['kind'] == ControlKind.EXISTING else 'Additional'}: {c['description']}"
            for c in h["controls"]
        )
        rows.append(
            (
                h["reference"],
                f"{h['name']}\n{h['description']}".strip(),
                causes,
                controls,
                _rating_text(matrix, h["initial"]),
                _rating_text(matrix, h["residual"]),
                f"{STATUS_LABELS.get(h['status'], h['status'])}\n{h['owner']}".strip(),
            )
        )
    _table(
        document,
        ["No.", "Hazard", "Causes", "Controls", "Initial risk", "Residual risk", "Status, owner"],
        rows,
        widths=(1.5, 4.8, 4.3, 5.3, 2.7, 2.7, 2.5),
        font_size=8,
    )
    back = document.add_section()
    back.orientation = WD_ORIENT.PORTRAIT
    back.page_width, back.page_height = back.page_height, back.page_width


def _test_issues(document, case):
    outstanding = [t for t in case.test_issues if t["status"] == TestIssueStatus.OUTSTANDING]
    document.add_heading("Outstanding test issues", level=2)
    _table(
        document,
        ["ID", "Description", "Safety impact", "Hazards"],
        [(t["reference"], t["description"], t["safety_impact"], t["hazard_references"]) for t in outstanding]
        or [("None", "", "", "")],
    )


def _findings(document, results: list[Result], signature=None):
    document.add_heading("Completeness checks and compliance", level=1)
    document.add_paragraph(
        "The checks below were run on the issued hazard log and this safety case at approval. Each answers "
        "the compliance assessment for the clause it serves."
    )
    _table(
        document,
        ["Clause", "Requirement", "Answer", "Evidence"],
        [(r.citation, r.check.title, r.answer.label, r.outcome.evidence) for r in results],
        widths=(3, 6, 2.2, 4.8),
    )
    findings = [(r.citation, f.message) for r in results for f in r.findings]
    document.add_heading("Findings", level=2)
    if findings:
        _table(document, ["Clause", "Finding"], findings, widths=(3, 13))
    else:
        document.add_paragraph("No findings.")
    if signature is not None and signature.findings_count:
        document.add_heading("Why this issue is approved with these findings", level=2)
        document.add_paragraph(
            f"The Clinical Safety Officer approved this issue with {signature.findings_count} "
            f"finding{'s' if signature.findings_count != 1 else ''}"
            + (", and wrote:" if signature.findings_justification else ".")
        )
        if signature.findings_justification:
            document.add_paragraph(signature.findings_justification)


def _statement(data: ReportInput, approver: str) -> str:
    issue, signature = data.issue, data.signature
    if data.draft:
        return f"{DRAFT_MARK}: the Clinical Safety Officer signs the statement when approving the issue."
    if signature is None:
        return (
            f"Approved as CSO: {approver}, Clinical Safety Officer, on {_date(issue.approved_at)}, as issue "
            f"{issue.number} of the hazard log. Meaning of the approval: {issue.meaning}"
        )
    title = f", {signature.job_title}" if signature.job_title else ""
    return (
        f"{signature.meaning}: {signature.signed_name}{title}, on {_date(signature.signed_at)}, as issue "
        f"{issue.number} of the hazard log. Meaning of the approval: {issue.meaning}"
    )


def write_docx(data: ReportInput) -> bytes:
    snapshot, issue = data.case.snapshot, data.issue
    # The approver as the issue recorded them (their account's name may change later).
    approver = next((row["approved_by"] for row in snapshot["issues"] if row["number"] == issue.number), "")
    signature = data.signature
    if signature is not None:
        approver = signature.signed_name
    document = Document()
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(10)
    document.core_properties.title = f"Clinical Safety Case Report — {snapshot['name']} issue {issue.number}"
    if data.draft:
        # On every page, so that no printed page of a draft passes for the approved report.
        for section in document.sections:
            section.header.paragraphs[0].text = f"{DRAFT_MARK} — {snapshot['name']}"
    _front_matter(document, data, snapshot, approver)
    for number, section in enumerate(SECTIONS, start=1):
        document.add_heading(f"{number}. {section.title}", level=1)
        _markdown(document, data.case.sections.get(section.slug, ""))
        if section.slug == "risk_management_system":
            crmp = data.details.crmp_reference if data.details else ""
            document.add_paragraph(f"Clinical Risk Management Plan: {crmp or 'not named'}.")
        elif section.slug == "risk_evaluation":
            _acceptability(document, snapshot["matrix"])
        elif section.slug == "risk_control":
            _control_summaries(document, snapshot)
        elif section.slug == "hazard_log":
            _changes(document, data.diff)
            _hazard_log(document, snapshot)
        elif section.slug == "test_issues":
            _test_issues(document, data.case)
        elif section.slug == "safety_statement":
            document.add_paragraph(_statement(data, approver))
    _findings(document, data.results, signature)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
