"""`python -m bench safety_case`: the Clinical Safety Case Report of an approved 1,000-hazard issue, as DOCX and
as PDF (LibreOffice). Printed: seconds for each, medians of a few runs. Target: the DOCX under 10 s."""

import statistics
import time

from django.contrib.auth import get_user_model

from hazardlog import issues
from safetycase.report import PdfUnavailable, safety_case_report

from .db import throwaway_database
from .pages import build_log

HAZARDS = 1_000
ROUNDS = 3
TARGET_SECONDS = 10


def timed(issue, report_format: str) -> tuple[float, int]:
    started = time.perf_counter()
    content = safety_case_report(issue, report_format)
    return time.perf_counter() - started, len(content)


def run() -> None:
    with throwaway_database():
        user = get_user_model().objects.create_user(
            "bench", password="bench-password-not-secret", first_name="Bea", last_name="Enchmark"
        )
        log = build_log("Benchmark safety case", HAZARDS, user)
        issue = issues.approve_issue(log, "1.0", "Benchmark issue", user)
        print(f"{'report':<8} {'median s':>9} {'bytes':>12}")
        for report_format, rounds in (("docx", ROUNDS), ("pdf", 1)):
            try:
                runs = [timed(issue, report_format) for _ in range(rounds)]
            except PdfUnavailable as error:
                print(f"{report_format:<8} {error}", flush=True)
                continue
            seconds = statistics.median(s for s, _ in runs)
            print(f"{report_format:<8} {seconds:>9.2f} {runs[0][1]:>12,}", flush=True)
        print(f"Target: the DOCX of a {HAZARDS:,}-hazard issue in under {TARGET_SECONDS} s.")
