"""`python -m bench pages`: the hazard list and a hazard page of a 10,000-hazard log, side by side with
the Django admin's changelist of the same hazards.

Each page is requested through django.test.Client (the whole server side: middleware, view, template),
in alternating rounds so that every page sees the same machine load. Printed: SQL queries per request
and the median time. Targets: the list ≤ 12 queries, the same at 100 and at 10,000 hazards, and a median
no slower than the admin changelist's.
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.utils import bulk_create_with_history

from hazardlog import nhs_matrix
from hazardlog.models import (
    Cause,
    Control,
    ControlKind,
    ControlType,
    Hazard,
    HazardLog,
    Membership,
    RiskAssessment,
    RiskCell,
    RiskMatrix,
    Role,
    Stage,
)
from hazardlog.sorting import sort_text
from hazardlog.text import reference_key

from .db import throwaway_database

HAZARDS = 10_000
SMALL = 100
ROUNDS = 30
QUERY_TARGET = 12
REASON = "Benchmark data"
OWNERS = ["Supplier", "Trust pharmacy", "Deploying organisation", "Clinical systems team"]


def run() -> None:
    with throwaway_database():
        started = time.perf_counter()
        user = get_user_model().objects.create_superuser("bench", password="bench-password-not-secret")
        big = build_log("Benchmark large", HAZARDS, user)
        small = build_log("Benchmark small", SMALL, user)
        print(f"Built logs of {HAZARDS:,} and {SMALL:,} hazards in {time.perf_counter() - started:.1f} s", flush=True)
        client = Client(SERVER_NAME="localhost")  # an ALLOWED_HOSTS name; the test client says "testserver"
        client.force_login(user)
        hazard = big.hazards.order_by("reference_sort").first()
        pages = {
            "hazard list (first page)": reverse("hazardlog:log_detail", args=[big.pk]),
            "hazard page": reverse("hazardlog:hazard_detail", args=[big.pk, hazard.pk]),
            "admin hazard changelist": reverse("admin:hazardlog_hazard_changelist"),
        }
        report(client, pages, small_list=reverse("hazardlog:log_detail", args=[small.pk]))


def build_log(name: str, hazards: int, user) -> HazardLog:
    """A log of `hazards` hazards with both assessments and two causes each, built through the ORM with
    history; its first hazard also has controls, as a hazard page shows them."""
    matrix = RiskMatrix.objects.get(name=nhs_matrix.NAME)
    cells = list(RiskCell.objects.filter(matrix=matrix).select_related("severity", "likelihood", "rating"))
    with transaction.atomic():
        log = HazardLog.objects.create(name=name, matrix=matrix, clinical_safety_officer="Dr B Enchmark")
        Membership.objects.create(log=log, user=user, role=Role.CSO)
        references = [f"H{n}" for n in range(1, hazards + 1)]
        made = bulk_create_with_history(
            [
                Hazard(
                    log=log,
                    reference=reference,
                    reference_key=reference_key(reference),
                    reference_sort=sort_text(reference),
                    name=f"Wrong dose shown for prescription {reference}",
                    description="The system shows a dose that differs from the one prescribed.",
                    clinical_impact="Patient receives an overdose or underdose.",
                    owner=OWNERS[n % len(OWNERS)],
                )
                for n, reference in enumerate(references)
            ],
            Hazard,
            batch_size=1000,
            default_change_reason=REASON,
        )
        bulk_create_with_history(
            [Cause(hazard=h, number=n, description=f"Cause {n} of {h.reference}") for h in made for n in (1, 2)],
            Cause,
            batch_size=1000,
            default_change_reason=REASON,
        )
        assessments = []
        for n, hazard in enumerate(made):
            for stage, cell in ((Stage.INITIAL, cells[n % 25]), (Stage.RESIDUAL, cells[(n * 7) % 25])):
                assessments.append(
                    RiskAssessment(
                        hazard=hazard,
                        stage=stage,
                        severity=cell.severity,
                        likelihood=cell.likelihood,
                        rating=cell.rating,
                    )
                )
        bulk_create_with_history(assessments, RiskAssessment, batch_size=1000, default_change_reason=REASON)
        first = min(made, key=lambda h: h.reference_sort)
        causes = list(first.causes.all())
        for number, (kind, control_type) in enumerate(
            [
                (ControlKind.EXISTING, ""),
                (ControlKind.ADDITIONAL, ControlType.DESIGN),
                (ControlKind.ADDITIONAL, "test"),
            ],
            start=1,
        ):
            control = Control(
                hazard=first, number=number, description=f"Control {number}", kind=kind, control_type=control_type
            )
            control._change_reason = REASON
            control.save()
            control.causes.set(causes)
    return log


def measure(client, url) -> tuple[int, float]:
    """(SQL queries, seconds) of one request."""
    # Django keeps at most 9,000 queries in its log; once building the data has filled it, a capture
    # would count none. Start each request from an empty log.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        seconds = time.perf_counter() - started
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(queries), seconds


def report(client, pages: dict[str, str], small_list: str) -> None:
    for url in [*pages.values(), small_list]:  # warm up: templates compiled, caches filled
        measure(client, url)
    queries = {name: set() for name in pages}
    times = {name: [] for name in pages}
    for _ in range(ROUNDS):
        for name, url in pages.items():
            count, seconds = measure(client, url)
            queries[name].add(count)
            times[name].append(seconds)
    median = {name: statistics.median(seconds) for name, seconds in times.items()}

    print(f"{HAZARDS:,} hazards; median of {ROUNDS} alternating requests through django.test.Client")
    print(f"  {'page':<28} {'queries':>8} {'median ms':>10}")
    for name in pages:
        print(f"  {name:<28} {'/'.join(map(str, sorted(queries[name]))):>8} {median[name] * 1000:>10.1f}")

    list_name, admin_name = "hazard list (first page)", "admin hazard changelist"
    small_queries = measure(client, small_list)[0]
    (big_queries,) = queries[list_name]
    print(f"  hazard list queries at {SMALL:,} hazards: {small_queries}; at {HAZARDS:,}: {big_queries}")
    checks = {
        f"list ≤ {QUERY_TARGET} queries": big_queries <= QUERY_TARGET,
        f"list queries unchanged from {SMALL:,} to {HAZARDS:,} hazards": small_queries == big_queries,
        "list median ≤ admin changelist median": median[list_name] <= median[admin_name],
    }
    for what, ok in checks.items():
        print(f"  {'OK  ' if ok else 'MISS'} {what}")
