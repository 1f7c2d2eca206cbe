"""`python -m bench workbook`: exporting a 5,000-hazard log as the NHS workbook.

The log (3 causes and 4 controls per hazard, both assessments) is built through the ORM with its history.
The export (snapshot query + writer) is timed side by side with openpyxl alone writing the same cells
(values and styles) in write-only mode, alternating runs so both see the same machine load. Target: ≤ 1.5×.
The import of 10,000 hazards is timed beside openpyxl alone reading the file. Target: ≤ 4×, < 300 MB.
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
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from simple_history.utils import bulk_create_with_history

from hazardlog import nhs_matrix, risk
from hazardlog.collector import collector_paused
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
from hazardlog.workbook.writer import (
    RATING_COLUMNS,
    _extra_columns,
    _headers,
    _height,
    _Workbook,
    column_styles,
    hazard_cells,
    rating_formula,
    write_nhs_workbook,
)

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
        exported = bench_export(log)
        bench_import(exported)


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

    The target's baseline is openpyxl writing the same cells as the export's Hazard Log sheet: the same
    values with the same styles (wrapped text, borders, the rating fills the issue asks for), since a
    cell's style is part of the cell. openpyxl writing the bare values, unstyled, is printed beside it
    to show what styling alone costs openpyxl. Returns the exported workbook.
    """
    snapshot = build_snapshot(log)
    # The cells the export writes on its Hazard Log sheet: A to S and the columns after S (here the controls'
    # owners), every cell of the table, empty ones too (each has its border, for paper).
    cells = [hazard_cells(h) for h in snapshot.hazards]
    extra = _extra_columns(cells)
    header = [column.header for column in layout.HAZARD_COLUMNS] + _headers(extra)
    values = [row.values + [row.extra.get(column) for column in extra] for row in cells]
    widths = [column.width for column in layout.HAZARD_COLUMNS] + [layout.EXTRA_WIDTH] * len(extra)
    # What openpyxl is told besides the cells: each row's height, and the rating cells' formulas.
    heights = [_height(zip(row, widths, strict=True)) for row in values]
    formulas = [
        [
            rating_formula(layout.HAZARD_COLUMNS[i].key.split("_")[0], n) if i in RATING_COLUMNS else value
            for i, value in enumerate(row)
        ]
        for n, row in enumerate(values, layout.FIRST_DATA_ROW)
    ]
    same = (header, formulas, heights, column_styles(extra), snapshot.matrix.ratings)
    runs = {
        "same cells": (_openpyxl_same_cells, *same),
        "values": (_openpyxl_values, [header, *values]),
        "same cells, paused": (_collector_paused_for, _openpyxl_same_cells, *same),
        "export": (export, log, "nhs"),
        "snapshot": (build_snapshot, log),
        "writer": (write_nhs_workbook, snapshot),
    }
    times = {what: [] for what in runs}
    for _ in range(REPEATS):  # alternating, so that every measure sees the same machine load
        for what, (function, *args) in runs.items():
            times[what].append(_timed(function, *args))
    median = {what: statistics.median(seconds) for what, seconds in times.items()}
    peaks = {what: _peak(*runs[what]) for what in ("same cells", "values", "export", "writer")}
    content = export(log, "nhs")[0]

    same, bare = median["same cells"], median["values"]
    columns = f"{len(header)} columns (A to S and {len(extra)} after S)"
    print(f"NHS workbook, {len(snapshot.hazards):,} hazards × {columns}, median of {REPEATS} alternating runs")
    print(f"  {'':<58}{'time':>7}{'÷ same cells':>14}{'÷ values':>10}{'peak memory':>13}")
    for label, what in (
        ("openpyxl alone, write-only: the same cells (styled)", "same cells"),
        ("openpyxl alone, write-only: the same values, unstyled", "values"),
        ("openpyxl alone: the same cells, garbage collector paused", "same cells, paused"),
        ("export (exports.export: snapshot + writer)", "export"),
        ("  snapshot query (snapshot.build_snapshot)", "snapshot"),
        ("  workbook writer (writer.write_nhs_workbook)", "writer"),
    ):
        memory = f"{peaks[what] / 2**20:.1f} MiB" if what in peaks else ""
        seconds = median[what]
        print(f"  {label:<58}{seconds:>6.2f}s{seconds / same:>13.2f}×{seconds / bare:>9.2f}×{memory:>13}")
    ratio = median["export"] / same
    print(f"  export ÷ openpyxl alone writing the same cells = {ratio:.2f}×: {_verdict(ratio <= TARGET)} ≤ {TARGET}×")
    print(f"  (export ÷ openpyxl writing the values unstyled = {median['export'] / bare:.2f}×; no target)")
    paused = median["export"] / median["same cells, paused"]
    print(f"  (the export pauses the garbage collector, as the import does; ÷ openpyxl also paused = {paused:.2f}×)")
    print(f"  ({len(content):,} bytes; peak memory traced in separate runs, as tracing slows Python down)")
    return content


def _openpyxl_same_cells(header: list[str], rows: list[list], heights: list, styles: list[str], ratings) -> bytes:
    """openpyxl alone writing the export's Hazard Log cells: the group and header rows in the header style,
    each value with its style (ratings centred, coloured by conditional formatting, one rule per rating),
    every cell of the table including empty ones, the rating cells' formulas as openpyxl writes formulas
    (without a saved result: openpyxl cannot write one), each row as high as the export makes it, and the
    export's drop-down lists, in write-only mode, each cell given a ready-made style the fastest way openpyxl
    allows. The named styles are the writer's own definitions (`_Workbook` is openpyxl's Workbook with them
    registered), so the cells are exactly the same."""
    wb = _Workbook(ratings)
    ready = wb.ready_styles
    ws = wb.create_sheet(layout.HAZARD_SHEET)
    group_row, previous = [], None
    for column in layout.HAZARD_COLUMNS:  # a group's name over its first column, as the writer merges them
        group_row.append(column.group if column.group and column.group != previous else None)
        previous = column.group
    group_row += [None] * (len(header) - len(group_row))  # the columns after S have no group

    def cell(value, style):
        made = WriteOnlyCell(ws, value)
        made._style = copy(ready[style])
        return made

    ws.append([cell(value, "header") for value in group_row])
    ws.append([cell(value, "header") for value in header])
    for number, (row, height) in enumerate(zip(rows, heights, strict=True), layout.FIRST_DATA_ROW):
        if height:
            ws.row_dimensions[number].height = height
        ws.append([cell(value, style) for value, style in zip(row, styles, strict=True)])
    last = layout.FIRST_DATA_ROW + len(rows) - 1
    letters = [column.letter for column in layout.HAZARD_COLUMNS if column.key.endswith("_rating")]
    for number, _, _, colour in ratings:
        fill = PatternFill("solid", fgColor="FF" + colour.lstrip("#"), bgColor="FF" + colour.lstrip("#"))
        ranges = " ".join(f"{letter}{layout.FIRST_DATA_ROW}:{letter}{last}" for letter in letters)
        ws.conditional_formatting.add(ranges, CellIsRule(operator="equal", formula=[str(number)], fill=fill))
    for key, formula in (
        ("severity", layout.CONSEQUENCE_RANGE[0]),
        ("likelihood", layout.LIKELIHOOD_RANGE[0]),
        ("status", '"' + ",".join(layout.STATUS_CHOICES) + '"'),
    ):
        cells = " ".join(f"{c.letter}3:{c.letter}{last}" for c in layout.HAZARD_COLUMNS if c.key.endswith(key))
        ws.data_validations.append(DataValidation(type="list", formula1=formula, allow_blank=True, sqref=cells))
    return _saved(wb)


def _collector_paused_for(function, *args):
    with collector_paused():
        return function(*args)


def _openpyxl_values(rows) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(layout.HAZARD_SHEET)
    for row in rows:
        ws.append(row)
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

LIMIT_HAZARDS = 10_000  # settings.HAZARDLOG_MAX_HAZARDS: the most one import accepts
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


def bench_import(exported: bytes) -> None:
    """Import workbooks into an empty log, history written: time beside openpyxl alone reading the same
    file in read-only mode, and peak memory.

    Three files: the 5,000-hazard log's own export (the issue's measure), 5,000 hazards with texts of the
    length the NHS logs use (about 2 KB a hazard), and 10,000 such hazards, the default limit, whose peak
    memory has a target too. The import is measured as confirming does it in one transaction: read the
    kept upload, validate, compare, write with history. Each run has DEBUG off, as in production, in a
    transaction rolled back afterwards so that every run starts from the same empty log. Resident memory is
    measured in a fresh process (bench/import_memory.py) importing into an SQLite file.
    """
    from django.contrib.auth import get_user_model

    from hazardlog.models import ImportStatus
    from hazardlog.snapshot import _matrix_data

    matrix = RiskMatrix.objects.get(name=nhs_matrix.NAME)
    data = _matrix_data(risk.MatrixTable.load(matrix))
    user = get_user_model().objects.get_or_create(username="benchmark-importer")[0]

    def imported(content, hazards: int) -> dict:
        # As in production: with DEBUG on, Django keeps the SQL of every query, a bulk INSERT's rows included.
        with override_settings(DEBUG=False), transaction.atomic():
            log = HazardLog.objects.create(name="Import benchmark", matrix=matrix)
            gc.collect()
            started = time.perf_counter()
            record = preview_import(log, "benchmark.xlsx", content, user)
            previewed = time.perf_counter()
            record = confirm_import(record, user)
            confirmed = time.perf_counter()
            assert record.status == ImportStatus.APPLIED and record.counts["create"] == hazards
            history = Hazard.history.filter(log=log).count() + Control.history.filter(hazard__log=log).count()
            assert history == hazards * (1 + len(CONTROLS)), "history was not written"
            transaction.set_rollback(True)
        return {"preview": previewed - started, "confirm": confirmed - previewed, "both": confirmed - started}

    files = (
        (f"the {HAZARDS:,}-hazard log's own export", exported, HAZARDS, False),
        (f"{HAZARDS:,} hazards with NHS-length texts", _workbook(data, HAZARDS, 30), HAZARDS, False),
        (
            f"{LIMIT_HAZARDS:,} hazards (the limit) with NHS-length texts",
            _workbook(data, LIMIT_HAZARDS, 30),
            LIMIT_HAZARDS,
            True,
        ),
    )
    for label, content, hazards, memory in files:
        times = {what: [] for what in ("openpyxl", "read", "preview", "confirm", "both")}
        for _ in range(IMPORT_REPEATS):  # alternating, so that every measure sees the same machine load
            times["openpyxl"].append(_timed(_openpyxl_read, content))
            times["read"].append(_timed(_read, content, data))
            for what, seconds in imported(content, hazards).items():
                times[what].append(seconds)
        median = {what: statistics.median(seconds) for what, seconds in times.items()}
        base = median["openpyxl"]
        print(
            f"NHS workbook import: {label} ({len(content) / 2**20:.1f} MB; 3 causes, 4 controls and 2 "
            f"assessments a hazard); median of {IMPORT_REPEATS} alternating runs"
        )
        print(f"  {'':<62}{'time':>7}{'÷ openpyxl':>12}")
        for line, what in (
            ("openpyxl alone, read-only, every row of every sheet", "openpyxl"),
            ("  reader alone: parse and validate (reader.read_workbook)", "read"),
            ("  preview: guard, read, compare with the log, record", "preview"),
            ("import (confirm: read, validate, compare, write with history)", "confirm"),
            ("  preview + confirm, as the web pages take it in two steps", "both"),
        ):
            print(f"  {line:<62}{median[what]:>6.2f}s{median[what] / base:>11.2f}×")
        ratio = median["confirm"] / base
        print(f"  import ÷ openpyxl alone = {ratio:.2f}×: {_verdict(ratio <= IMPORT_TARGET)} ≤ {IMPORT_TARGET}×")
        if memory:
            traced = _peak(imported, content, hazards)
            print(f"  peak Python memory of preview + confirm (traced): {traced / 2**20:.0f} MiB")
            before, resident = _resident_in_fresh_process(content)
            if resident:
                print(
                    f"  peak resident memory of a fresh process importing it: {resident / 2**20:.0f} MiB "
                    f"({before / 2**20:.0f} MiB before the import, SQLite database on disk): "
                    f"{_verdict(resident < IMPORT_MEMORY_TARGET)} < {IMPORT_MEMORY_TARGET // 2**20} MB"
                )


def _workbook(matrix: MatrixData, hazards: int, words: int) -> bytes:
    return write_nhs_workbook(_import_snapshot(matrix, hazards, words))


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

    read_workbook(content, matrix, max_hazards=LIMIT_HAZARDS)


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
