"""Export → import → export gives the same workbook: for the demo log and for generated logs whose
text is anything a CSO could type or paste (formula-like, right-to-left, emoji, line breaks, …)."""

import io
import itertools

import openpyxl
import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hazardlog.imports import REPLACE_COVER, confirm_import, preview_import
from hazardlog.management.commands.load_demo import DEMO_LOG
from hazardlog.models import (
    Cause,
    Control,
    Hazard,
    HazardLog,
    ImportStatus,
    RiskAssessment,
    Standard,
)
from hazardlog.snapshot import build_snapshot
from hazardlog.workbook import layout
from hazardlog.workbook.writer import write_nhs_workbook
from tests import factories, text_strategies

_names = itertools.count(1)
# The standard is part of a log's identity, so the copy differs from the original only there.
STANDARD_CELL = layout.COVER_CELLS["standard"][1]


def cells(content: bytes) -> dict:
    """Every non-empty cell of every sheet: value and type, plus merged ranges and defined names."""
    wb = openpyxl.load_workbook(io.BytesIO(content))
    found = {
        ws.title: {c.coordinate: (c.value, c.data_type) for row in ws.iter_rows() for c in row if c.value is not None}
        | {"merged": sorted(str(m) for m in ws.merged_cells.ranges)}
        for ws in wb.worksheets
    }
    found["names"] = {name: d.attr_text for name, d in wb.defined_names.items()}
    return found


def without_standard(content: bytes) -> dict:
    found = cells(content)
    found[layout.COVER_SHEET].pop(STANDARD_CELL, None)
    return found


def export(log) -> bytes:
    return write_nhs_workbook(build_snapshot(log))


def import_into(log, content: bytes, user):
    record = preview_import(log, "roundtrip.xlsx", content, user)
    assert record.status == ImportStatus.PREVIEWED, [m for m in record.report["messages"] if m["level"] == "error"]
    return confirm_import(record, user, cover=REPLACE_COVER)


def copy_of(log) -> HazardLog:
    other = Standard.DCB0160 if log.standard == Standard.DCB0129 else Standard.DCB0129
    return factories.make_log(matrix=log.matrix, name=log.name, standard=other, clinical_safety_officer="")


def assert_round_trip(log, user) -> None:
    first = export(log)
    again = import_into(log, first, user)
    assert again.counts["create"] == again.counts["update"] == 0 and again.report["log_changes"] == []
    assert cells(export(log)) == cells(first)
    target = copy_of(log)
    import_into(target, first, user)
    target.refresh_from_db()
    assert without_standard(export(target)) == without_standard(first)


def test_the_demo_log_survives_a_round_trip(db, user):
    call_command("loaddata", "nhs_risk_matrix", "demo_log", verbosity=0)
    demo = HazardLog.objects.get_by_natural_key(*DEMO_LOG)
    assert demo.hazards.count() >= 10
    assert_round_trip(demo, user)


# Generated logs --------------------------------------------------------------------------------------------

HOSTILE = [
    "=1+1",
    "+44 20 7946 0000",
    "-2",
    "@SUM(A1)",
    '=HYPERLINK("http://example.com","click")',
    "مرحبا بالعالم",
    "שלום",
    "\u202eevil\u202c",
    "👩‍⚕️💊",
    "line one\nline two",
    "CRLF from a browser\r\nsecond line",
    "1) looks numbered\n2) so does this",
    "• bullet\n\\ backslash",
    "Tab\tinside",
    "_x0041_ literal escape",
    "Pasted\x0bfrom Word",
    "Zero\u200bwidth",
    "0101 an id",
    "TRUE",
    "00123",
]
texts = text_strategies.texts(HOSTILE, max_size=40)
optional_texts = st.one_of(st.just(""), texts)
levels = st.tuples(
    st.sampled_from(["Minor", "Significant", "Considerable", "Major", "Catastrophic"]),
    st.sampled_from(["Very low", "Low", "Medium", "High", "Very high"]),
)


@st.composite
def hazards(draw, reference: str):
    cause_numbers = draw(st.lists(st.integers(1, 30), unique=True, max_size=4))
    controls = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["existing", "design", "test", "training", "bpc"]),
                texts,
                st.lists(st.sampled_from(cause_numbers), unique=True) if cause_numbers else st.just([]),
            ),
            max_size=4,
        )
    )
    return {
        "reference": reference,
        "name": draw(texts),
        "description": draw(optional_texts),
        "clinical_impact": draw(optional_texts),
        "owner": draw(st.one_of(st.just(""), texts.filter(lambda t: len(t) <= 200))),
        "actions": draw(optional_texts),
        "status": draw(st.sampled_from(["open", "closed", "transferred"])),
        "causes": [(number, draw(texts)) for number in cause_numbers],
        "controls": controls,
        "initial": draw(st.one_of(st.none(), levels)),
        "residual": draw(st.one_of(st.none(), levels)),
    }


references = st.lists(
    st.from_regex(r"[A-Z]{1,4}-?[0-9]{1,4}", fullmatch=True), min_size=1, max_size=3, unique_by=str.casefold
)
logs = references.flatmap(lambda refs: st.tuples(*(hazards(ref) for ref in refs)))


def make_log(matrix, generated) -> HazardLog:
    log = factories.make_log(matrix=matrix, name=f"Generated {next(_names)}", programme="Programme ‮ =1")
    for data in generated:
        hazard = Hazard.objects.create(
            log=log,
            reference=data["reference"],
            name=data["name"],
            description=data["description"],
            clinical_impact=data["clinical_impact"],
            owner=data["owner"],
            actions=data["actions"],
            status=data["status"],
            status_reason="" if data["status"] == "open" else "Reason given in the app",
        )
        causes = {n: Cause.objects.create(hazard=hazard, number=n, description=text) for n, text in data["causes"]}
        for number, (group, text, answers) in enumerate(data["controls"], start=1):
            control = Control.objects.create(
                hazard=hazard,
                number=number,
                description=text,
                kind="existing" if group == "existing" else "additional",
                control_type="" if group == "existing" else group,
            )
            control.causes.set([causes[n] for n in answers])
        for stage in ("initial", "residual"):
            if data[stage]:
                factories.assess(hazard, stage, *data[stage])
    return log


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=logs)
def test_generated_logs_survive_a_round_trip(matrix, user, generated):
    log = make_log(matrix, generated)
    assert_round_trip(log, user)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_survives_in_every_field(matrix, user, text):
    generated = [
        {
            "reference": "H1",
            "name": text,
            "description": text,
            "clinical_impact": text,
            "owner": text,
            "actions": text,
            "status": "closed",
            "causes": [(1, text), (2, f"{text} (2)")],
            "controls": [("existing", text, [1, 2]), ("bpc", text, []), ("test", f"{text} (t)", [2])],
            "initial": ("Major", "Low"),
            "residual": None,
        }
    ]
    log = make_log(matrix, generated)
    assert_round_trip(log, user)
    copy = HazardLog.objects.exclude(pk=log.pk).get(name=log.name)
    assert Hazard.objects.get(log=copy).name == text
    assert sorted(Cause.objects.filter(hazard__log=copy).values_list("description", flat=True)) == sorted(
        [text, f"{text} (2)"]
    )
    assert RiskAssessment.objects.filter(hazard__log=copy).count() == 1
