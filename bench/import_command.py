"""`python -m bench import_command`: `manage.py import_hazard_log` as people run it, whole (issue 14.1).

Each run is a fresh process (Python and Django start-up included) importing a 5,000-hazard workbook (NHS-length
texts, 3 causes, 4 controls and 2 assessments a hazard) into an empty, migrated database, timed from outside
beside openpyxl alone reading the same file in read-only mode (every row of every sheet), the runs taking
turns so that both see the same machine load. On SQLite (a database file copied from a migrated one for each
run, on disk as in production) and on PostgreSQL when 127.0.0.1:5432 answers (a throwaway database created
from a migrated template for each run, dropped afterwards). Target: ≤ 4× openpyxl.

It also measures what SQLite's triggers cost the command: with migration 0008's revision triggers as they
were before migration 0013 (one UPDATE of the hazard per row written under it), and without the full-text
search triggers of migration 0012 (for information: they re-index a hazard on every row written under it).
And the peak resident memory of the command importing 10,000 hazards (the default limit), from Linux's
accounting of the child process. Target: < 300 MB.
"""

import importlib
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hazardlog import nhs_matrix
from hazardlog.snapshot import MatrixData

from .workbook import _verdict, _workbook

HAZARDS, LIMIT = 5_000, 10_000
WORDS = 30  # words of prose added to each text: about 2 KB a hazard, as the NHS logs
REPEATS = 3
TARGET, MEMORY_TARGET = 4.0, 300 * 2**20
ROOT = Path(__file__).resolve().parents[1]
PSQL = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
PG_PREFIX = "hazardlog_bench_import"  # of the throwaway databases: <prefix>_<n>_template, <prefix>_<n>
OPENPYXL = """
import sys
from io import BytesIO
from openpyxl import load_workbook
wb = load_workbook(BytesIO(open(sys.argv[1], "rb").read()), read_only=True)
for ws in wb.worksheets:
    for _row in ws.iter_rows(values_only=True):
        pass
wb.close()
"""


def run() -> None:
    matrix = _matrix()
    with tempfile.TemporaryDirectory(prefix="hazardlog-bench-import-") as folder:
        folder = Path(folder)
        files = {}
        for hazards in (HAZARDS, LIMIT):
            files[hazards] = folder / f"hazards-{hazards}.xlsx"
            files[hazards].write_bytes(_workbook(matrix, hazards, WORDS))
        databases = _sqlite_databases(folder)
        try:
            if _postgres_answers():
                databases |= _postgres_databases()
            _bench_time(files[HAZARDS], databases)
            _bench_memory(files[LIMIT], databases)
        finally:
            for url in databases.values():
                if url.startswith("postgres-template://"):
                    for name in url.removeprefix("postgres-template://").split("/"):
                        _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _bench_time(workbook: Path, databases: dict[str, str]) -> None:
    times: dict[str, list[float]] = {"openpyxl": [], "openpyxl, fresh process": []}
    times |= {name: [] for name in databases}
    for _ in range(REPEATS):  # alternating, so that every measure sees the same machine load
        times["openpyxl"].append(_openpyxl_in_process(workbook))
        times["openpyxl, fresh process"].append(_fresh([sys.executable, "-c", OPENPYXL, str(workbook)])[0])
        for name, url in databases.items():
            times[name].append(_command(workbook, url)[0])
    median = {what: statistics.median(seconds) for what, seconds in times.items()}
    base = median["openpyxl"]
    print(
        f"import_hazard_log, whole command in a fresh process: {HAZARDS:,} hazards with NHS-length texts "
        f"({workbook.stat().st_size / 2**20:.1f} MB; 3 causes, 4 controls and 2 assessments a hazard) into an "
        f"empty database; median of {REPEATS} alternating runs"
    )
    print(f"  {'':<76}{'time':>7}{'÷ openpyxl':>12}")
    print(f"  {'openpyxl alone, read-only, every row of every sheet (in this process)':<76}{base:>6.2f}s{1:>11.2f}×")
    fresh = median["openpyxl, fresh process"]
    print(f"  {'  the same in a fresh process (Python start-up included)':<76}{fresh:>6.2f}s{fresh / base:>11.2f}×")
    for name in databases:
        label = f"manage.py import_hazard_log, {name}"
        print(f"  {label:<76}{median[name]:>6.2f}s{median[name] / base:>11.2f}×")
    for name in ("SQLite", "PostgreSQL"):
        if name in databases:
            ratio = median[name] / base
            print(
                f"  {name}: import_hazard_log ÷ openpyxl's read-only parse = {ratio:.2f}×: "
                f"{_verdict(ratio <= TARGET)} ≤ {TARGET}×"
            )


def _bench_memory(workbook: Path, databases: dict[str, str]) -> None:
    for name in ("SQLite", "PostgreSQL"):
        if name not in databases:
            continue
        seconds, peak = _command(workbook, databases[name])
        print(
            f"  {name}: peak resident memory of import_hazard_log importing {LIMIT:,} hazards (the limit; "
            f"{workbook.stat().st_size / 2**20:.1f} MB, {seconds:.1f} s): {peak / 2**20:.0f} MiB: "
            f"{_verdict(peak < MEMORY_TARGET)} < {MEMORY_TARGET // 2**20} MB"
        )


# The command and openpyxl ------------------------------------------------------------------------------


def _command(workbook: Path, url: str) -> tuple[float, int]:
    """(seconds, peak resident bytes) of one import_hazard_log in a fresh process into an empty database."""
    _empty(url)
    env = os.environ | {"DATABASE_URL": _sqlite_url(url), "DEBUG": "false", "SECRET_KEY": "benchmark-only"}
    seconds, peak = _fresh(
        [sys.executable, "manage.py", "import_hazard_log", str(workbook), "--log", "Benchmark"], env=env
    )
    return seconds, peak


def _fresh(command: list[str], env=None) -> tuple[float, int]:
    """(wall seconds, peak resident bytes) of a child process, which must succeed."""
    started = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 — our own interpreter and files
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    error = child.stderr.read().decode()
    child.stderr.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed: {error[-2000:]}")
    return seconds, usage.ru_maxrss * 1024  # kilobytes on Linux


def _openpyxl_in_process(workbook: Path) -> float:
    from .workbook import _openpyxl_read, _timed

    return _timed(_openpyxl_read, workbook.read_bytes())


def _matrix() -> MatrixData:
    likelihoods = [name for _, name, _ in nhs_matrix.LIKELIHOODS]
    return MatrixData(
        name=nhs_matrix.NAME,
        version=nhs_matrix.VERSION,
        severities=tuple((name, text) for _, name, text in nhs_matrix.SEVERITIES),
        likelihoods=tuple((name, text) for _, name, text in nhs_matrix.LIKELIHOODS),
        ratings=tuple(nhs_matrix.RATINGS),
        grid=tuple(tuple(nhs_matrix.GRID[name]) for name in likelihoods),
    )


# Databases ---------------------------------------------------------------------------------------------


def _sqlite_databases(folder: Path) -> dict[str, str]:
    """A migrated SQLite file, and copies of it with the triggers whose cost is measured changed."""
    migrated = folder / "migrated.sqlite3"
    env = os.environ | {"DATABASE_URL": f"sqlite:///{migrated}", "DEBUG": "true"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    before = importlib.import_module("hazardlog.migrations.0008_hazard_revision_covers_children")
    revision_0008 = [*before.SQLITE_DROP, *before.SQLITE_CREATE]
    no_search = [f"DROP TRIGGER {name}" for name in _triggers(migrated, "hazardlog_search_%")]
    variants = {
        "SQLite": [],
        "SQLite with 0008's revision triggers, as before 0013": revision_0008,
        "SQLite without the search index triggers (0012)": no_search,
        "SQLite without the search index triggers, 0008's revision triggers": no_search + revision_0008,
    }
    databases = {}
    for name, statements in variants.items():
        if name != "SQLite" and not statements or ("search" in name and not no_search):
            continue
        path = folder / f"{len(databases)}.template.sqlite3"
        shutil.copy(migrated, path)
        with sqlite3.connect(path) as db:
            for statement in statements:
                db.execute(statement)
        databases[name] = f"sqlite-template:///{path}"
    return databases


def _triggers(path: Path, pattern: str) -> list[str]:
    with sqlite3.connect(path) as db:
        return [
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE ?", [pattern])
        ]


def _sqlite_url(url: str) -> str:
    """The DATABASE_URL of a run: a copy of the SQLite template, or a database made from the PostgreSQL one."""
    if url.startswith("sqlite-template:///"):
        template = Path(url.removeprefix("sqlite-template:///"))
        return f"sqlite:///{template.with_suffix('').with_suffix('.run.sqlite3')}"
    return f"postgres://postgres@127.0.0.1:5432/{url.split('/')[-1]}"


def _empty(url: str) -> None:
    """A fresh copy of the migrated database for the next run."""
    if url.startswith("sqlite-template:///"):
        template = Path(url.removeprefix("sqlite-template:///"))
        shutil.copy(template, Path(_sqlite_url(url).removeprefix("sqlite:///")))
    else:
        template, name = url.removeprefix("postgres-template://").split("/")
        _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _psql(f"CREATE DATABASE {name} TEMPLATE {template}")


def _postgres_answers() -> bool:
    if shutil.which("psql") is None:
        return False
    done = subprocess.run([*PSQL, "-c", "SELECT 1"], capture_output=True)  # noqa: S603
    return done.returncode == 0


def _postgres_databases() -> dict[str, str]:
    """A migrated template database, and copies with the triggers whose cost is measured changed; each run
    gets a database made from its template."""
    revision_0008 = importlib.import_module("hazardlog.migrations.0013_import_one_pass").POSTGRES_REVERSE
    variants = {
        "PostgreSQL": [],
        "PostgreSQL with 0008's revision triggers, as before 0013": revision_0008,
        # Since migration 0014 the import computes its new hazards' documents itself, triggers or not: this
        # measures the triggers' cost on the statements that write causes and controls.
        "PostgreSQL without the search index triggers (0012)": None,  # found in the database
    }
    databases = {}
    for n, (name, statements) in enumerate(variants.items()):
        template, run = f"{PG_PREFIX}_{n}_template", f"{PG_PREFIX}_{n}"
        _psql(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
        _psql(f"CREATE DATABASE {template}")
        databases[name] = f"postgres-template://{template}/{run}"
        url = f"postgres://postgres@127.0.0.1:5432/{template}"
        env = os.environ | {"DATABASE_URL": url, "DEBUG": "true"}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        if statements is None:
            done = subprocess.run(  # noqa: S603
                [*PSQL[:-4], template, "-At", "-c", _PG_SEARCH_TRIGGERS], capture_output=True, text=True, check=True
            )
            if not done.stdout.strip():
                del databases[name]
                continue
            statements = [done.stdout]
        for statement in statements:
            subprocess.run([*PSQL[:-4], template, "-q", "-c", statement], check=True)  # noqa: S603
    return databases


_PG_SEARCH_TRIGGERS = (
    "SELECT string_agg(format('DROP TRIGGER %I ON %s;', tgname, tgrelid::regclass), ' ') "
    "FROM pg_trigger WHERE tgname LIKE 'hazardlog_search%'"
)


def _psql(sql: str) -> None:
    subprocess.run([*PSQL, "-c", sql], check=True, capture_output=True)  # noqa: S603
