"""`make bench`: every benchmark, each printing its figures measured side by side in one run.

Each module in BENCHMARKS has a `run()` that builds its data in a throwaway SQLite database and prints
a small table. Run one with `python -m bench NAME`. The load test against gunicorn and PostgreSQL is
`make load` (bench/load.py), run on its own.
"""

import importlib
import os
import sys

BENCHMARKS = ["workbook", "import_command", "pages", "upload_bounds", "safety_case"]


def main(names: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazardlog.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    for name in names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        print(f"\n== {name} ==", flush=True)
        module.run()


if __name__ == "__main__":
    main(sys.argv[1:])
