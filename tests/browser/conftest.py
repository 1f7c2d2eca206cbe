"""Browser tests: Debian's Chromium driven by Playwright against `live_server`.

Every module here sets `pytestmark = pytest.mark.browser`. The tests skip, with the reason, when
/usr/bin/chromium (`make browser`) or the built static files (`make assets`) are missing.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls there otherwise.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium calls Google hosts this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_FILES = [ROOT / "static" / "axe.min.js", ROOT / "node_modules" / "axe-core" / "axe.min.js"]
SCREENSHOTS = ROOT / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (run `make browser`)")
    if not (ROOT / "static" / "main.css").exists():
        pytest.skip("static/ is not built (run `make assets`)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


class PageProblems:
    """What a page did that it must not: requests to other hosts, failed loads, CSP violations, JS errors."""

    def __init__(self, origin: str):
        self.origin = origin
        self.requests: list[str] = []
        self.failed_loads: list[str] = []
        self.console_errors: list[str] = []

    def response(self, response):
        # A page may be a 404 on purpose; a stylesheet, script or image it needs may not.
        if response.status >= 400 and response.request.resource_type != "document":
            self.failed_loads.append(f"{response.status} {response.url}")

    def console(self, message):
        # Failed loads are reported with their URL by `response`; Chromium's console line has none.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def is_local(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("data", "blob", "about") or f"{parts.scheme}://{parts.netloc}" == self.origin

    def report(self) -> list[str]:
        foreign = [f"request to another host: {url}" for url in self.requests if not self.is_local(url)]
        failed = [f"failed to load: {load}" for load in self.failed_loads]
        return foreign + failed + [f"console error: {text}" for text in self.console_errors]


@pytest.fixture
def browser_page(browser, live_server):
    """A fresh context and page on the live server; fails the test if the page misbehaved (see PageProblems)."""
    origin = live_server.url.rstrip("/")
    problems = PageProblems(origin)
    context = browser.new_context(base_url=origin, viewport=DESKTOP)

    def route(route):
        # Record and block anything not for the live server: a test must never reach the internet.
        problems.requests.append(route.request.url)
        if problems.is_local(route.request.url):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("response", problems.response)
    page.on("console", problems.console)
    page.on("pageerror", lambda error: problems.console_errors.append(str(error)))
    yield page
    context.close()
    found = problems.report()
    if found:
        pytest.fail("The page misbehaved:\n  " + "\n  ".join(found))


@pytest.fixture
def signed_in_page(browser_page, client, live_server):
    """`signed_in_page(user)`: the browser page, signed in as `user` through a session cookie."""

    def sign_in(user):
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        browser_page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )
        return browser_page

    return sign_in


def _axe_source() -> str:
    for path in AXE_FILES:
        if path.exists():
            return path.read_text(encoding="utf-8")
    pytest.skip("axe-core is not installed (run `make assets`)")


def _describe(violations) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        lines.extend(f"    {node['target']}: {node['failureSummary']}" for node in violation["nodes"])
    return "\n".join(lines)


@pytest.fixture
def axe_check():
    """`axe_check(page)`: run axe-core on the page; fail on serious or critical violations."""
    source = _axe_source()

    def check(page):
        # Evaluated through the DevTools protocol, so the page's CSP ('self') does not block it.
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(source)
        results = page.evaluate("() => window.axe.run(document, {resultTypes: ['violations']})")
        serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, f"axe found problems on {page.url}:\n{_describe(serious)}"

    return check


@pytest.fixture
def screenshot():
    """`screenshot(page, name)`: save screenshots/<name>.png (git-ignored) of the whole page."""

    def take(page, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
