"""`python -m bench workbook`: exporting a 5,000-hazard log as the NHS workbook.

The log (3 causes and 4 controls per hazard, both assessments) is built through the ORM with its history.
The export (snapshot query + writer) is timed side by side with openpyxl alone writing the same cell
values in write-only mode, alternating runs so both see the same machine load. Target: ≤ 1.5×.
"""

import dataclasses
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from copy import copy
from io import BytesIO
from pathlib import Path

from django.db import transaction
from django.test.utils import override_settings
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, NamedStyle
from simple_history.utils import bulk_create_with_history

from hazardlog import nhs_matrix, risk
from hazardlog.exports import export
from hazardlog.imports import confirm_import, preview_import
from hazardlog.models import Cause, Control, ControlKind, ControlType, Hazard, HazardLog, RiskAssessment, RiskMatrix
from hazardlog.snapshot import (
    AssessmentRow,
    CauseRow,
    ControlRow,
    HazardRow,
    LogSnapshot,
    MatrixData,
    build_snapshot,
)
from hazardlog.sorting import sort_text
from hazardlog.text import reference_key
from hazardlog.workbook import layout
from hazardlog.workbook.writer import hazard_values, write_nhs_workbook

from .db import throwaway_database

HAZARDS = 5_000
REPEATS = 5
TARGET = 1.5
REASON = "Benchmark data"
# Each control's type (None: existing) and the causes it answers.
CONTROLS = [
    (None, (1,)),
    (ControlType.DESIGN, (1, 2)),
    (ControlType.TEST, (3,)),
    (ControlType.BUSINESS_PROCESS_CHANGE, (2, 3)),
]
LEVELS = [("Major", "Medium"), ("Considerable", "Low"), ("Catastrophic", "High"), ("Significant", "Very low")]


def run() -> None:
    with throwaway_database():
        started = time.perf_counter()
        log = build_log(HAZARDS)
        print(f"Built a log of {HAZARDS:,} hazards in {time.perf_counter() - started:.1f} s", flush=True)
        bench_export(log)
        bench_import()


def build_log(hazards: int) -> HazardLog:
    """A log of `hazards` hazards, each with 3 causes, 4 controls answering them, and both assessments."""
    matrix = RiskMatrix.objects.get(name=nhs_matrix.NAME)
    table = risk.MatrixTable.load(matrix)
    with transaction.atomic():
        log = HazardLog.objects.create(
            name="Benchmark", matrix=matrix, clinical_safety_officer="Dr B Enchmark", version="1.0"
        )
        references = [f"BM-{n:05d}" for n in range(1, hazards + 1)]
        made = bulk_create_with_history(
            [
                Hazard(
                    log=log,
                    reference=reference,
                    reference_key=reference_key(reference),
                    reference_sort=sort_text(reference),
                    name=f"Wrong dose shown for prescription {reference}",
                    description="The system shows a dose that differs from the one prescribed, so the nurse "
                    "gives the wrong amount of the medicine.",
                    clinical_impact="Patient receives an overdose or underdose; harm ranges from none to death.",
                    actions="Review after the next release; confirm with pharmacy.",
                    owner="Supplier",
                )
                for reference in references
            ],
            Hazard,
            batch_size=500,
            default_change_reason=REASON,
        )
        causes = bulk_create_with_history(
            [
                Cause(hazard=hazard, number=n, description=f"Cause {n}: unit conversion done in the wrong direction.")
                for hazard in made
                for n in (1, 2, 3)
            ],
            Cause,
            batch_size=1000,
            default_change_reason=REASON,
        )
        controls = bulk_create_with_history(
            [
                Control(
                    hazard=hazard,
                    number=n,
                    description=f"Control {n}: dose is shown with its unit and checked against the formulary range.",
                    kind=ControlKind.EXISTING if control_type is None else ControlKind.ADDITIONAL,
                    control_type=control_type or "",
                    owner="Supplier",
                )
                for hazard in made
                for n, (control_type, _) in enumerate(CONTROLS, 1)
            ],
            Control,
            batch_size=1000,
            default_change_reason=REASON,
        )
        cause_of = {(cause.hazard_id, cause.number): cause for cause in causes}
        for control in controls:  # through set(), so the history of each control's causes is written
            control.causes.set([cause_of[control.hazard_id, n] for n in CONTROLS[control.number - 1][1]])
        assessments = []
        for i, hazard in enumerate(made):
            for stage, (severity, likelihood) in (("initial", LEVELS[i % 4]), ("residual", LEVELS[(i + 3) % 4])):
                s, lk = table.severity_named(severity), table.likelihood_named(likelihood)
                assessments.append(
                    RiskAssessment(hazard=hazard, stage=stage, severity=s, likelihood=lk, rating=table.rating(s, lk))
                )
        bulk_create_with_history(assessments, RiskAssessment, batch_size=1000, default_change_reason=REASON)
    return log


def bench_export(log) -> bytes:
    """Print the export's time beside openpyxl's alone writing the same cells, and peak memory.

    Two baselines: the same cell values, and the same values with the same styles (every cell of the
    sheet is styled: wrapped text, borders, fills). Returns the exported workbook.
    """
    snapshot = build_snapshot(log)
    cells = [[column.header for column in layout.HAZARD_COLUMNS]] + [hazard_values(h) for h in snapshot.hazards]
    runs = {
        "plain": (_openpyxl_alone, cells),
        "styled": (_openpyxl_alone_styled, cells),
        "export": (export, log, "nhs"),
        "snapshot": (build_snapshot, log),
        "writer": (write_nhs_workbook, snapshot),
    }
    times = {what: [] for what in runs}
    for _ in range(REPEATS):  # alternating, so that every measure sees the same machine load
        for what, (function, *args) in runs.items():
            times[what].append(_timed(function, *args))
    median = {what: statistics.median(seconds) for what, seconds in times.items()}
    peaks = {what: _peak(*runs[what]) for what in ("plain", "styled", "export", "writer")}
    content = export(log, "nhs")[0]

    plain, styled = median["plain"], median["styled"]
    print(f"NHS workbook, {len(snapshot.hazards):,} hazards × 19 columns, median of {REPEATS} alternating runs")
    print(f"  {'':<50}{'time':>7}{'÷ plain':>9}{'÷ styled':>10}{'peak memory':>13}")
    for label, what in (
        ("openpyxl alone, write-only: same values", "plain"),
        ("openpyxl alone, write-only: same values and styles", "styled"),
        ("export (exports.export: snapshot + writer)", "export"),
        ("  snapshot query (snapshot.build_snapshot)", "snapshot"),
        ("  workbook writer (writer.write_nhs_workbook)", "writer"),
    ):
        memory = f"{peaks[what] / 2**20:.1f} MiB" if what in peaks else ""
        seconds = median[what]
        print(f"  {label:<50}{seconds:>6.2f}s{seconds / plain:>8.2f}×{seconds / styled:>9.2f}×{memory:>13}")
    ratio = median["export"] / plain
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(f"  export ÷ openpyxl alone (same values) = {ratio:.2f}×: {verdict} the target of ≤ {TARGET}×")
    print(f"  ({len(content):,} bytes; peak memory traced in separate runs, as tracing slows Python down)")
    return content


def _openpyxl_alone(rows) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(layout.HAZARD_SHEET)
    for row in rows:
        ws.append(row)
    return _saved(wb)


def _openpyxl_alone_styled(rows) -> bytes:
    """The same values, each cell given a ready-made style as the writer does (its fastest way)."""
    wb = Workbook(write_only=True)
    style = NamedStyle("text", font=Font(name="Arial", size=10), alignment=Alignment(vertical="top", wrap_text=True))
    wb.add_named_style(style)
    ready = style.as_tuple()
    ws = wb.create_sheet(layout.HAZARD_SHEET)
    for row in rows:
        styled = []
        for value in row:
            cell = None
            if value is not None:
                cell = WriteOnlyCell(ws, value)
                cell._style = copy(ready)
            styled.append(cell)
        ws.append(styled)
    return _saved(wb)


def _saved(wb) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _timed(function, *args) -> float:
    gc.collect()
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def _peak(function, *args) -> int:
    """Peak Python memory allocated while `function` runs (traced separately: tracing slows it down)."""
    gc.collect()
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# Import -------------------------------------------------------------------------------------------------

IMPORT_HAZARDS = 10_000  # settings.HAZARDLOG_MAX_HAZARDS: the most one import accepts
IMPORT_TARGET = 4.0
IMPORT_REPEATS = 3  # an import run takes tens of seconds
IMPORT_MEMORY_TARGET = 300 * 2**20
PROSE = [
    "patient",
    "record",
    "dose",
    "unit",
    "nurse",
    "pharmacist",
    "allergy",
    "guidance",
    "display",
    "delay",
    "wrong",
    "stale",
    "review",
]


def bench_import() -> None:
    """Import a workbook of 10,000 hazards (the default limit) into an empty log, history written: time
    beside openpyxl alone reading the same file in read-only mode, and peak memory.

    Two files: the export benchmark's short texts, and texts of the length the NHS logs use (about 2 KB a
    hazard). Each import runs with DEBUG off, as in production, in a transaction rolled back afterwards so
    that every run starts from the same empty log. Resident memory is measured in a fresh process
    (bench/import_memory.py) importing into an SQLite file.
    """
    from django.contrib.auth import get_user_model

    from hazardlog.models import ImportStatus
    from hazardlog.snapshot import _matrix_data

    matrix = RiskMatrix.objects.get(name=nhs_matrix.NAME)
    data = _matrix_data(risk.MatrixTable.load(matrix))
    user = get_user_model().objects.get_or_create(username="benchmark-importer")[0]

    def imported(content) -> dict:
        # As in production: with DEBUG on, Django keeps the SQL of every query, a bulk INSERT's rows included.
        with override_settings(DEBUG=False), transaction.atomic():
            log = HazardLog.objects.create(name="Import benchmark", matrix=matrix)
            gc.collect()
            started = time.perf_counter()
            record = preview_import(log, "benchmark.xlsx", content, user)
            previewed = time.perf_counter()
            record = confirm_import(record, user)
            confirmed = time.perf_counter()
            assert record.status == ImportStatus.APPLIED and record.counts["create"] == IMPORT_HAZARDS
            history = Hazard.history.filter(log=log).count() + Control.history.filter(hazard__log=log).count()
            assert history == IMPORT_HAZARDS * (1 + len(CONTROLS)), "history was not written"
            transaction.set_rollback(True)
        return {"preview": previewed - started, "confirm": confirmed - previewed, "both": confirmed - started}

    for label, words in (("short texts", 0), ("NHS-length texts", 30)):
        content = write_nhs_workbook(_import_snapshot(data, IMPORT_HAZARDS, words))
        times = {what: [] for what in ("openpyxl", "read", "preview", "confirm", "both")}
        for _ in range(IMPORT_REPEATS):  # alternating, so that every measure sees the same machine load
            times["openpyxl"].append(_timed(_openpyxl_read, content))
            times["read"].append(_timed(_read, content, data))
            for what, seconds in imported(content).items():
                times[what].append(seconds)
        median = {what: statistics.median(seconds) for what, seconds in times.items()}
        traced = _peak(imported, content)
        before, resident = _resident_in_fresh_process(content)
        base = median["openpyxl"]
        print(
            f"NHS workbook import, {IMPORT_HAZARDS:,} hazards with {label} ({len(content) / 2**20:.1f} MB), "
            f"3 causes, 4 controls and 2 assessments each; median of {IMPORT_REPEATS} alternating runs"
        )
        print(f"  {'':<60}{'time':>7}{'÷ openpyxl':>12}")
        for line, what in (
            ("openpyxl alone, read-only, every row of every sheet", "openpyxl"),
            ("reader alone: parse and validate (reader.read_workbook)", "read"),
            ("preview: guard, read, compare with the log, record", "preview"),
            ("confirm: read again, validate, write with history (import)", "confirm"),
            ("preview + confirm", "both"),
        ):
            print(f"  {line:<60}{median[what]:>6.2f}s{median[what] / base:>11.2f}×")
        ratio = median["confirm"] / base
        print(
            f"  import (confirm) ÷ openpyxl alone = {ratio:.2f}×: {_verdict(ratio <= IMPORT_TARGET)} ≤ {IMPORT_TARGET}×"
        )
        print(f"  peak Python memory of preview + confirm (traced): {traced / 2**20:.0f} MiB")
        if resident:
            print(
                f"  peak resident memory of a fresh process importing it: {resident / 2**20:.0f} MiB "
                f"({before / 2**20:.0f} MiB before the import, SQLite database on disk): "
                f"{_verdict(resident < IMPORT_MEMORY_TARGET)} < {IMPORT_MEMORY_TARGET // 2**20} MB"
            )


def _resident_in_fresh_process(content: bytes) -> tuple[int, int]:
    """(resident memory before, peak resident memory during) one import run by bench.import_memory in a
    fresh process on its own SQLite database; (0, 0) where /proc is not available."""
    if not Path("/proc/self/clear_refs").exists():
        return 0, 0
    with tempfile.TemporaryDirectory() as folder:
        workbook = Path(folder, "benchmark.xlsx")
        workbook.write_bytes(content)
        database = f"sqlite:///{Path(folder, 'memory.sqlite3')}"
        env = os.environ | {"DATABASE_URL": database, "DEBUG": "false", "SECRET_KEY": "benchmark-only"}
        done = subprocess.run(  # noqa: S603 — our own interpreter and module
            [sys.executable, "-m", "bench.import_memory", str(workbook)], capture_output=True, text=True, env=env
        )
    if done.returncode != 0:
        print(done.stderr[-2000:])
        return 0, 0
    before, peak = map(int, done.stdout.split()[-2:])
    return before, peak


def _read(content: bytes, matrix: MatrixData) -> None:
    from hazardlog.workbook.reader import read_workbook

    read_workbook(content, matrix, max_hazards=IMPORT_HAZARDS)


def _verdict(met: bool) -> str:
    return "meets the target of" if met else "MISSES the target of"


def _openpyxl_read(content: bytes) -> None:
    wb = load_workbook(BytesIO(content), read_only=True)
    for ws in wb.worksheets:
        for _row in ws.iter_rows(values_only=True):
            pass
    wb.close()


def _import_snapshot(matrix: MatrixData, hazards: int, words: int) -> LogSnapshot:
    """A log as plain data, shaped like build_log's; `words` more words of prose in each text when > 0."""
    severities = [name for name, _ in matrix.severities]
    likelihoods = [name for name, _ in matrix.likelihoods]

    def text(base: str, seed: int) -> str:
        return " ".join([base, *(PROSE[(seed * 7 + i * 13) % len(PROSE)] for i in range(words))]).strip()

    def assessment(severity: str, likelihood: str) -> AssessmentRow:
        return AssessmentRow(severity, likelihood, matrix.rating_for(severity, likelihood))

    rows = []
    for n in range(1, hazards + 1):
        reference = f"BM-{n:05d}"
        rows.append(
            HazardRow(
                reference=reference,
                name=f"Wrong dose shown for prescription {reference}",
                description=text("The system shows a dose that differs from the one prescribed.", n),
                clinical_impact=text("Patient receives an overdose or underdose.", n + 1),
                owner="Supplier",
                actions=text("Review after the next release; confirm with pharmacy.", n + 2),
                causes=tuple(CauseRow(c, text(f"Cause {c}: unit conversion done wrongly.", n + c)) for c in (1, 2, 3)),
                controls=tuple(
                    ControlRow(
                        number,
                        text(f"Control {number}: dose shown with its unit and checked against the range.", n + number),
                        ControlKind.EXISTING if control_type is None else ControlKind.ADDITIONAL,
                        control_type or "",
                        cause_numbers=answers,
                    )
                    for number, (control_type, answers) in enumerate(CONTROLS, 1)
                ),
                initial=assessment(severities[n % 5], likelihoods[(n // 5) % 5]),
                residual=assessment(severities[n % 5], likelihoods[0]),
            )
        )
    cover = {f.name: "" for f in dataclasses.fields(LogSnapshot)} | {"version_date": None}
    return LogSnapshot(
        **cover | {"name": "Import benchmark", "standard": "DCB0129", "matrix": matrix, "hazards": tuple(rows)}
    )
