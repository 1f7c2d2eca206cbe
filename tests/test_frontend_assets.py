"""Everything a page loads comes from this server, and the CSP ('self') would block anything else."""

import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
TEMPLATES = ROOT / "templates"

needs_build = pytest.mark.skipif(not (STATIC / "main.css").exists(), reason="static/ is not built (run `make assets`)")


@needs_build
def test_the_stylesheet_refers_only_to_our_own_files():
    css = (STATIC / "main.css").read_text(encoding="utf-8")
    urls = re.findall(r"url\(\s*['\"]?([^'\")]*)", css)
    assert urls, "expected the NHS.UK icons to be referenced"
    assert [url for url in urls if not (url.startswith("/static/") or url.startswith("data:"))] == []
    for url in urls:
        if url.startswith("/static/"):
            assert (STATIC / url.removeprefix("/static/")).exists(), f"{url} is not in static/"
    assert "@font-face" not in css
    assert "assets.nhs.uk" not in css
    assert "@use" not in css and "@forward" not in css
    assert ".nhsuk-header" in css


@needs_build
def test_the_script_imports_nhsuk_frontend_from_static():
    script = (STATIC / "main.js").read_text(encoding="utf-8")
    imports = re.findall(r"from\s+['\"]([^'\"]+)['\"]", script)
    assert imports == ["./nhsuk/nhsuk-frontend.min.js"]
    assert (STATIC / "nhsuk" / "nhsuk-frontend.min.js").exists()
    assert "initAll()" in script
    assert (STATIC / "axe.min.js").exists()


def test_the_sign_in_page_loads_only_local_files(client):
    html = client.get(reverse("login")).content.decode()
    sources = re.findall(r"<(?:link|script|img)\b[^>]*\b(?:href|src)=\"([^\"]+)\"", html)
    assert "/static/main.css" in sources and "/static/main.js" in sources
    assert [s for s in sources if not s.startswith("/") or s.startswith("//")] == []
    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="module" src="/static/main.js">']


def test_pages_are_served_with_a_content_security_policy(client):
    response = client.get(reverse("login"))
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy


def template_files():
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_needs_inline_script_or_style(path):
    source = path.read_text(encoding="utf-8")
    inline_scripts = [tag for tag in re.findall(r"<script\b[^>]*>", source) if "src=" not in tag]
    assert inline_scripts == [], "CSP blocks inline <script>: move it into a static file"
    assert not re.search(r"\sstyle=", source), "CSP blocks style attributes: use an NHS.UK class"
    assert not re.search(r"\son[a-z]+=", source), "CSP blocks event handler attributes"
    remote_loads = re.findall(r"\bsrc=\"(?:https?:)?//[^\"]*|<link\b[^>]*href=\"(?:https?:)?//[^\"]*", source)
    assert remote_loads == [], "pages must not load anything from another host"


def test_the_server_error_page_needs_no_request_or_database():
    # No `db` fixture: pytest-django fails any query. No request: no context processors.
    html = render_to_string("500.html")
    assert "Sorry, there is a problem with the service" in html
    assert "/static/main.css" in html


def test_a_missing_page_is_an_nhs_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Page not found – Hazard Log – NHS</title>" in html
    assert 'class="nhsuk-header"' in html


def test_a_forbidden_page_explains_roles(rf, django_user_model):
    request = rf.get("/")
    request.user = django_user_model(username="viewer")
    html = render_to_string("403.html", request=request)
    assert "You do not have permission to do this" in html
