"""`make load`: a bounded load test of the pages people use, against gunicorn in production settings on
PostgreSQL, beside the Django admin's changelist of the same hazards.

It creates the database `hazardlog_load` on 127.0.0.1:5432 (user postgres, through psql), migrates it,
builds a 10,000-hazard and a 100-hazard log (bench/pages.py), collects the static files into a temporary
folder and starts one gunicorn per worker setting in WORKERS on free loopback ports, with DEBUG off, a
generated SECRET_KEY and plain HTTP. Each client is a Python thread with its own signed-in session (made
through Django here, as a sign-in would), sending GET requests on a new connection each, as a proxy in
front of gunicorn would. Every page and setting gets the same fixed number of requests, in ROUNDS taking
turns so that all meet the same load from whatever else runs on the machine; every answer must be 200.
Afterwards the servers are stopped and the database and folder removed.

Printed for each page, at 1 and 10 clients, on the first setting: requests/s, p50 and p95, the ratio to
the admin; then each target as met or MISSED with its figures; then every setting's requests/s at 10
clients. The load generator shares the machine with gunicorn and PostgreSQL.
"""

import http.client
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

DATABASE = "hazardlog_load"
PSQL = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
HOST = "127.0.0.1"
HAZARDS = 10_000
SMALL = 100
CLIENTS = (1, 10)
ROUNDS = 4
PER_ROUND = {1: 5, 10: 30}  # requests per page in each round, by number of clients: 20 and 120 in all
WARM_UP = 3
CORES = os.cpu_count() or 1
# (name, gunicorn arguments); the first is the README's recommendation, measured in full.
WORKERS = [
    ("gthread 3x4 threads", ["--workers", "3", "--worker-class", "gthread", "--threads", "4"]),
    ("sync x3", ["--workers", "3"]),
    (f"sync x{2 * CORES + 1} (2x cores+1)", ["--workers", str(2 * CORES + 1)]),
]
# `LOAD_SETTINGS=1 make load` measures the first setting only (about a third of the time).
WORKERS = WORKERS[: int(os.environ.get("LOAD_SETTINGS") or len(WORKERS))]
ADMIN = "admin changelist"
ADMIN_TARGET = 1.5  # every page serves at least this many times the admin changelist's requests/s
SIZE_TARGET = 1.5  # a page's p50 at 10,000 hazards at most this many times its p50 at 100
SEARCH_TARGET = 2.0  # search p95 (1 client) and requests/s (10 clients) within this factor of the list's


def production_environment(static_root: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "hazardlog.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        # Plain HTTP on loopback: no redirect to HTTPS, cookies sent without TLS.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{DATABASE}",
        "STATIC_ROOT": static_root,
    }


def psql(sql: str) -> None:
    subprocess.run([*PSQL, "-c", sql], check=True)


def main() -> None:
    static_root = tempfile.mkdtemp(prefix="hazardlog-load-static-")
    environment = production_environment(static_root)
    os.environ.update(environment)
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql(f"CREATE DATABASE {DATABASE}")
    try:
        import django

        django.setup()
        run(environment, Path(static_root))
    finally:
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        shutil.rmtree(static_root, ignore_errors=True)


def run(environment: dict[str, str], static_root: Path) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from .pages import build_log

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--no-input", verbosity=0)
    user = get_user_model().objects.create_superuser("load", password=secrets.token_urlsafe(16))
    logs = {HAZARDS: build_log("Load large", HAZARDS, user), SMALL: build_log("Load small", SMALL, user)}
    with connection.cursor() as cursor:
        # As autovacuum leaves a database in use: statistics current, the visibility map set (index-only scans).
        cursor.execute("VACUUM ANALYZE")
    print(f"Built logs of {HAZARDS:,} and {SMALL:,} hazards in {time.perf_counter() - started:.1f} s", flush=True)
    cookies = []
    for _ in range(max(CLIENTS)):  # one session each, as each person signs in
        client = Client(SERVER_NAME=HOST)
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)

    def log_pages(size: int) -> dict[str, str]:
        log = logs[size]
        hazard = log.hazards.order_by("reference_sort").first()  # the one with controls
        listed = reverse("hazardlog:log_detail", args=[log.pk])
        return {
            "hazard list": listed,
            "filtered list (residual rating 3)": f"{listed}?residual_rating=3",
            "search, one hazard (?q=a reference)": f"{listed}?q=H{size // 2}",
            "search, every hazard (?q=dose)": f"{listed}?q=dose",
            "hazard page": reverse("hazardlog:hazard_detail", args=[log.pk, hazard.pk]),
            "hazard history": reverse("hazardlog:hazard_history", args=[log.pk, hazard.pk]),
            "matrix": reverse("hazardlog:matrix", args=[log.pk]),
        }

    shared = {"log list": reverse("hazardlog:log_list"), ADMIN: reverse("admin:hazardlog_hazard_changelist")}
    big, small = log_pages(HAZARDS), log_pages(SMALL)
    print(f"Machine: {CORES} cores; gunicorn, PostgreSQL and this load generator share them.")
    print(f"Requests per page: {ROUNDS} rounds of {PER_ROUND[1]} at 1 client and {PER_ROUND[10]} at 10 clients.")
    print(f"Load average before: {os.getloadavg()[0]:.1f} (other work on the machine lowers every figure alike)")

    # Every worker setting served at once from its own port, and measured in turns with the others.
    pages = {**big, **shared}
    jobs = {}
    for setting, _ in WORKERS:
        jobs |= {(setting, HAZARDS, page, 10): (setting, path, 10) for page, path in pages.items()}
    first = WORKERS[0][0]
    jobs |= {(first, HAZARDS, page, 1): (first, path, 1) for page, path in pages.items()}
    jobs |= {(first, SMALL, page, 1): (first, path, 1) for page, path in small.items()}
    with ExitStack() as servers:
        ports = {
            setting: servers.enter_context(gunicorn(arguments, environment, static_root))
            for setting, arguments in WORKERS
        }
        measured = measure(ports, jobs, cookies)
    results = {(HAZARDS, page, n): measured[first, HAZARDS, page, n] for page in pages for n in CLIENTS}
    results |= {(SMALL, page, 1): measured[first, SMALL, page, 1] for page in small}
    table(f"gunicorn {first}, {HAZARDS:,}-hazard log", results)
    targets(results)

    print(f"\nWorker settings, {HAZARDS:,}-hazard log, requests/s at 10 clients (measured in turns):")
    print(f"  {'page':<36}" + "".join(f"{setting:>22}" for setting, _ in WORKERS))
    for page in pages:
        print(
            f"  {page:<36}" + "".join(f"{measured[setting, HAZARDS, page, 10]['rps']:>22.1f}" for setting, _ in WORKERS)
        )
    print(f"Load average after: {os.getloadavg()[0]:.1f}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(arguments: list[str], environment: dict[str, str], folder: Path):
    port = free_port()
    errors = folder / f"gunicorn-{port}.log"  # its own errors and the JSON request lines
    with errors.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "hazardlog.wsgi", "--bind", f"{HOST}:{port}", *arguments],
            env={**os.environ, **environment},
            stdout=output,
            stderr=output,
        )
    try:
        wait_until_healthy(port, server, errors)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_until_healthy(port: int, server: subprocess.Popen, errors: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            if get(port, "/healthz", cookie="")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz on port {port}:\n{errors.read_text()[-3000:]}")


def get(port: int, path: str, cookie: str) -> tuple[int, float]:
    """(status, seconds) of one GET on a new connection, the whole body read."""
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    started = time.perf_counter()
    try:
        connection.request("GET", path, headers={"Cookie": f"sessionid={cookie}"} if cookie else {})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    return response.status, time.perf_counter() - started


def burst(port: int, path: str, cookies: list[str], requests: int) -> tuple[list[float], float]:
    """`requests` GETs shared by one thread per cookie, started together: (each one's seconds, wall seconds)."""
    seconds: list[float] = []
    refused: list[int] = []
    start = threading.Barrier(len(cookies) + 1)

    def client(cookie: str) -> None:
        start.wait()
        for _ in range(requests // len(cookies)):
            status, duration = get(port, path, cookie)
            seconds.append(duration)
            if status != 200:
                refused.append(status)

    threads = [threading.Thread(target=client, args=(cookie,)) for cookie in cookies]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if refused:
        raise RuntimeError(f"{path} answered {sorted(set(refused))} to {len(refused)} of {len(seconds)} requests")
    return seconds, elapsed


def measure(ports: dict[str, int], jobs: dict[tuple, tuple[str, str, int]], cookies: list[str]) -> dict:
    """{key: requests/s, p50, p95} for each key's (server, path, clients). The jobs take turns, ROUNDS
    times, so that every page and server meets the same load from whatever else runs on the machine."""
    for server, path, _ in jobs.values():
        for _ in range(WARM_UP):
            status, _ = get(ports[server], path, cookies[0])
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
    seconds = {key: [] for key in jobs}
    elapsed = dict.fromkeys(jobs, 0.0)
    for _ in range(ROUNDS):
        for key, (server, path, clients) in jobs.items():
            durations, wall = burst(ports[server], path, cookies[:clients], PER_ROUND[clients])
            seconds[key] += durations
            elapsed[key] += wall
        print(".", end="", flush=True)
    print()
    return {
        key: {
            "rps": len(seconds[key]) / elapsed[key],
            "p50": statistics.median(seconds[key]),
            "p95": statistics.quantiles(seconds[key], n=100, method="inclusive")[94],
        }
        for key in jobs
    }


def table(title: str, results: dict) -> None:
    print(f"\n{title}")
    print(f"  {'page':<36} {'clients':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'x admin':>8}")
    for (size, page, clients), figures in results.items():
        if size == HAZARDS:
            ratio = figures["rps"] / results[HAZARDS, ADMIN, clients]["rps"]
            print(
                f"  {page:<36} {clients:>7} {figures['rps']:>7.1f} {figures['p50'] * 1000:>8.1f}"
                f" {figures['p95'] * 1000:>8.1f} {ratio:>8.2f}"
            )


def targets(results: dict) -> None:
    """Each target met or MISSED, with its figures."""
    print("\nTargets:")

    def verdict(ok: bool, text: str) -> None:
        print(f"  {'met   ' if ok else 'MISSED'} {text}")

    def large(page: str, clients: int) -> dict[str, float]:
        return results[HAZARDS, page, clients]

    pages = [page for size, page, clients in results if size == HAZARDS and clients == 1 and page != ADMIN]
    for page in pages:
        ratios = {n: large(page, n)["rps"] / large(ADMIN, n)["rps"] for n in CLIENTS}
        verdict(
            all(ratio >= ADMIN_TARGET for ratio in ratios.values()),
            f"{page}: >= {ADMIN_TARGET}x the admin's requests/s: "
            + ", ".join(f"{ratio:.2f}x at {n} client{'s' if n > 1 else ''}" for n, ratio in ratios.items()),
        )
    for page in (page for page in pages if (SMALL, page, 1) in results):
        big, small = large(page, 1)["p50"], results[SMALL, page, 1]["p50"]
        verdict(
            big <= SIZE_TARGET * small,
            f"{page}: p50 at {HAZARDS:,} hazards <= {SIZE_TARGET}x at {SMALL:,} (1 client): "
            f"{big * 1000:.1f} / {small * 1000:.1f} ms = {big / small:.2f}x",
        )
    listed_p95, listed_rps = large("hazard list", 1)["p95"], large("hazard list", 10)["rps"]
    for page in (page for page in pages if page.startswith("search")):
        p95, rps = large(page, 1)["p95"], large(page, 10)["rps"]
        verdict(
            p95 <= SEARCH_TARGET * listed_p95,
            f"{page}: p95 at 1 client <= {SEARCH_TARGET}x the list's: "
            f"{p95 * 1000:.1f} ms vs {listed_p95 * 1000:.1f} ms = {p95 / listed_p95:.2f}x",
        )
        verdict(
            listed_rps <= SEARCH_TARGET * rps,
            f"{page}: requests/s at 10 clients within {SEARCH_TARGET}x the list's: "
            f"{rps:.1f} vs {listed_rps:.1f} = {listed_rps / rps:.2f}x fewer",
        )


if __name__ == "__main__":
    main()
