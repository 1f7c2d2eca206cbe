"""`python -m bench upload_bounds`: the worst uploads within the limits, each previewed in a fresh process.

Every file is within the upload and uncompressed size limits; each is built as XML straight into the zip
(tests/hostile_workbooks.py) or, for the 10,000 hazards of the hazard limit, by our own writer. Each is
previewed (guard, read, compare with an empty log, record: the whole preview path) in a fresh process on
its own SQLite file, with DEBUG off, which prints the time and the peak resident memory (Linux /proc).
Target: every file refused or previewed in < 5 s and < 300 MB.

`python -m bench.upload_bounds WORKBOOK` is the fresh process: it prints seconds, resident memory before,
peak resident memory, and the preview's status.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .db import throwaway_database

TARGET_SECONDS = 5.0
TARGET_BYTES = 300 * 2**20


def files():
    """(label, content) of each upload measured, the limits' worst cases first."""
    from django.conf import settings

    from bench.workbook import _workbook
    from hazardlog import nhs_matrix, risk
    from hazardlog.models import RiskMatrix
    from hazardlog.snapshot import _matrix_data
    from tests import hostile_workbooks as hostile

    rows, cells = settings.HAZARDLOG_MAX_ROWS, settings.HAZARDLOG_MAX_CELLS
    matrix = _matrix_data(risk.MatrixTable.load(RiskMatrix.objects.get(name=nhs_matrix.NAME)))
    yield f"name-only rows, at the row limit ({rows - 1:,})", hostile.name_only_rows(rows - 1)
    yield f"styled blank rows, at the row limit ({rows - 1:,})", hostile.styled_blank_rows(rows - 1)
    yield (
        f"styled blank cells, at the cell limit ({cells // 26 - 2:,} rows × 26)",
        hostile.styled_blank_cells(cells // 26 - 2, 26),
    )
    limit = settings.HAZARDLOG_MAX_HAZARDS
    yield f"{limit:,} one-cause hazards (the hazard limit)", hostile.hazards(limit)
    yield f"{limit:,} hazards (the hazard limit), NHS-length texts", _workbook(matrix, limit, 30)
    yield "the issue's file: 1.3 million name-only rows (refused)", hostile.name_only_rows(1_300_000)
    yield "a million styled blank rows (refused)", hostile.styled_blank_rows(1_000_000)
    yield "5,000 junk zip parts (refused)", hostile.junk_parts(5_000)


def run() -> None:
    if not Path("/proc/self/clear_refs").exists():
        print("Needs Linux /proc to measure memory; skipped.")
        return
    print(f"Preview of the worst uploads within the limits, each in a fresh process (target < {TARGET_SECONDS:.0f} s,")
    print(f"< {TARGET_BYTES // 2**20} MB peak resident memory, {os.cpu_count()} CPUs)")
    print(f"  {'':<58}{'size':>8}{'time':>8}{'peak':>9}  outcome")
    worst_time = worst_memory = 0.0
    with throwaway_database():  # the NHS matrix, for the writer
        uploads = list(files())
    for label, content in uploads:
        seconds, before, peak, status = _preview_in_fresh_process(content)
        worst_time, worst_memory = max(worst_time, seconds), max(worst_memory, peak)
        print(
            f"  {label:<58}{len(content) / 2**20:>6.1f}MB{seconds:>7.2f}s{peak / 2**20:>6.0f}MiB  {status}"
            f"{'' if seconds < TARGET_SECONDS and peak < TARGET_BYTES else '  ← over target'}",
            flush=True,
        )
    met = worst_time < TARGET_SECONDS and worst_memory < TARGET_BYTES
    print(
        f"  worst: {worst_time:.2f} s, {worst_memory / 2**20:.0f} MiB peak resident: "
        f"{'met' if met else 'missed'} (< {TARGET_SECONDS:.0f} s, < {TARGET_BYTES // 2**20} MB)"
    )


def _preview_in_fresh_process(content: bytes) -> tuple[float, int, int, str]:
    with tempfile.TemporaryDirectory() as folder:
        workbook = Path(folder, "upload.xlsx")
        workbook.write_bytes(content)
        database = f"sqlite:///{Path(folder, 'bounds.sqlite3')}"
        env = os.environ | {"DATABASE_URL": database, "DEBUG": "false", "SECRET_KEY": "benchmark-only"}
        done = subprocess.run(  # noqa: S603 — our own interpreter and module
            [sys.executable, "-m", "bench.upload_bounds", str(workbook)], capture_output=True, text=True, env=env
        )
    if done.returncode != 0:
        print(done.stderr[-2000:])
        return 0.0, 0, 0, "failed"
    seconds, before, peak, status = done.stdout.split()[-4:]
    return float(seconds), int(before), int(peak), status


def main(path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazardlog.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from bench.import_memory import resident
    from hazardlog import nhs_matrix
    from hazardlog.imports import preview_import
    from hazardlog.models import HazardLog, RiskMatrix

    content = Path(path).read_bytes()
    call_command("migrate", verbosity=0)
    log = HazardLog.objects.create(name="Bounds benchmark", matrix=RiskMatrix.objects.get(name=nhs_matrix.NAME))
    user = get_user_model().objects.create(username="benchmark-importer")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to what is resident now
    before = resident("VmRSS:")
    started = time.perf_counter()
    record = preview_import(log, Path(path).name, content, user)
    seconds = time.perf_counter() - started
    print(f"{seconds:.3f}", before, resident("VmHWM:"), record.status)


if __name__ == "__main__":
    main(sys.argv[1])
