"""Two app servers against one PostgreSQL, as behind a load balancer: a session made on one is good on the
other (sessions live in the database), and two saves of one hazard from the same revision, sent at the same
time through the two servers, let exactly one through; the other is answered 409 and history holds one change.

The servers are gunicorn processes in production settings (DEBUG off) on loopback ports, pointed at the
test database; the test is transactional so that they see its data. PostgreSQL only: on SQLite the test
database is in memory, out of the servers' reach.
"""

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.urls import reverse

from hazardlog.models import Hazard, Membership, Role
from tests import factories
from tests.test_views_hazard_form import browser_data

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two servers need a database both can reach: PostgreSQL"
)

HOST = "127.0.0.1"
PASSWORD = "two-servers-one-database"  # noqa: S105


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """One gunicorn process; `request` sends one request on a new connection and reads the whole answer."""

    def __init__(self, environment: dict[str, str], log_path):
        self.port = free_port()
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "hazardlog.wsgi", "--bind", f"{HOST}:{self.port}", "--workers", "1"],
                env=environment,
                stdout=log,
                stderr=log,
            )

    def request(self, method: str, path: str, cookies: dict[str, str] | None = None, body: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            connection.request(
                method, path, body=urlencode(body, doseq=True) if body is not None else None, headers=headers
            )
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read().decode()
        finally:
            connection.close()

    def wait_until_healthy(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail(f"gunicorn on port {self.port} did not answer /healthz:\n{self.log_path.read_text()[-3000:]}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def two_servers(transactional_nhs_matrix, tmp_path):
    environment = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),  # one key for both, as every server behind a balancer needs
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "DATABASE_URL": database_url(),
        # Pages name their static files; plain storage needs no collectstatic for a test.
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    }
    with ExitStack() as stack:
        servers = []
        for name in ("a", "b"):
            server = Server(environment, tmp_path / f"gunicorn-{name}.log")
            stack.callback(server.stop)
            servers.append(server)
        for server in servers:
            server.wait_until_healthy()
        yield servers


def cookies_set(headers) -> dict[str, str]:
    jar = SimpleCookie()
    for name, value in headers:
        if name.lower() == "set-cookie":
            jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


def csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def sign_in(server: Server, username: str) -> dict[str, str]:
    """Through the sign-in form, as a browser: its CSRF cookie and token, then the session cookie."""
    status, headers, page = server.request("GET", reverse("login"))
    assert status == 200
    cookies = cookies_set(headers)
    body = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(page)}
    status, headers, _ = server.request("POST", reverse("login"), cookies, body)
    assert status == 302, "the sign-in was refused"
    return {**cookies, **cookies_set(headers)}


def test_a_session_from_one_server_works_on_the_other_and_a_raced_save_is_not_lost(two_servers, user, client):
    first, second = two_servers
    # The servers hash with the production hashers, not the tests' fast MD5 one.
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save()
    log = factories.make_log()
    Membership.objects.create(log=log, user=user, role=Role.CSO)
    hazard = factories.make_hazard(log, "H1")
    opened = Hazard.objects.get(pk=hazard.pk).revision
    url = reverse("hazardlog:hazard_edit", args=[log.pk, hazard.pk])

    cookies = sign_in(first, user.username)
    status, _, page = second.request("GET", url, cookies)
    assert status == 200, "the second server did not know the session made on the first"
    assert f'value="{hazard.name}"' in page

    # Every field as the edit page shows it at `opened`, from the in-process client; the CSRF token from the page.
    client.force_login(user)
    form = {**browser_data(client.get(url).context["editor"]), "csrfmiddlewaretoken": csrf_token(page)}
    barrier = threading.Barrier(2)
    statuses = {}

    def save(server: Server, name: str):
        body = {**form, "name": f"Named through {name}", "reason": f"Saved through {name}"}
        barrier.wait(timeout=10)
        statuses[name] = server.request("POST", url, cookies, body)[0]

    threads = [threading.Thread(target=save, args=(server, name)) for server, name in ((first, "a"), (second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses.values()) == [302, 409], statuses
    winner = next(name for name, status in statuses.items() if status == 302)
    stored = Hazard.objects.get(pk=hazard.pk)
    assert (stored.name, stored.revision) == (f"Named through {winner}", opened + 1)
    assert list(
        Hazard.history.filter(id=hazard.pk, revision__gt=opened).values_list("history_change_reason", flat=True)
    ) == [f"Saved through {winner}"]
