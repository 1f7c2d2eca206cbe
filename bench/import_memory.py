"""One workbook import in a fresh process, for bench/workbook.py's memory figure.

`python -m bench.import_memory WORKBOOK` migrates the database named by DATABASE_URL (bench/workbook.py
gives it a new SQLite file, on disk as in production), previews and confirms WORKBOOK into an empty log,
then prints two numbers (bytes, from Linux's /proc): the resident memory just before the import, and the
peak resident memory during it. A fresh process keeps earlier benchmarks out of the figure.
"""

import os
import sys
from pathlib import Path


def resident(field: str) -> int:
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1]) * 1024


def main(path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazardlog.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from hazardlog import nhs_matrix
    from hazardlog.imports import confirm_import, preview_import
    from hazardlog.models import HazardLog, ImportStatus, RiskMatrix

    content = Path(path).read_bytes()
    call_command("migrate", verbosity=0)
    log = HazardLog.objects.create(name="Memory benchmark", matrix=RiskMatrix.objects.get(name=nhs_matrix.NAME))
    user = get_user_model().objects.create(username="benchmark-importer")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to what is resident now
    before = resident("VmRSS:")
    record = confirm_import(preview_import(log, Path(path).name, content, user), user)
    peak = resident("VmHWM:")
    assert record.status == ImportStatus.APPLIED, record.report["messages"][:3]
    print(before, peak)


if __name__ == "__main__":
    main(sys.argv[1])
