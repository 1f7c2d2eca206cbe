"""Standards links: seeded from fixtures/resources.json, https on digital.nhs.uk, editable by staff only,
and checked by `manage.py check_resource_links` (the network is mocked here)."""

import io
import json
import urllib.error
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from resources.management.commands import check_resource_links
from resources.models import Category, StandardLink

FIXTURE = Path(settings.BASE_DIR, "fixtures", "resources.json")


@pytest.fixture
def links(db):
    call_command("loaddata", "resources", verbosity=0)
    return list(StandardLink.objects.all())


def test_the_fixture_seeds_the_nhs_links_of_every_category(links):
    assert len(links) == len(json.loads(FIXTURE.read_text()))
    assert {link.category for link in links} == set(Category.values)
    titles = " ".join(link.title for link in links)
    for expected in ("DCB0129", "DCB0160", "Hazard Log Template", "training", "Clinical Safety Guidance"):
        assert expected.lower() in titles.lower()


def test_every_seeded_link_is_https_on_the_nhs_host(links):
    for link in links:
        parts = urlsplit(link.url)
        assert parts.scheme == "https", link.url
        assert parts.hostname == "digital.nhs.uk", link.url
        link.full_clean()  # title, one-line description and category are valid too
        assert "\n" not in link.description


def test_loading_the_fixture_twice_does_not_duplicate_links(links):
    call_command("loaddata", "resources", verbosity=0)
    assert StandardLink.objects.count() == len(links)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://digital.nhs.uk/page", "javascript:alert(1)", "ftp://digital.nhs.uk/x"])
def test_a_link_must_be_https(url):
    link = StandardLink(title="A page", description="One line.", url=url, category=Category.GUIDANCE)
    with pytest.raises(ValidationError) as error:
        link.full_clean()
    assert "url" in error.value.message_dict


def test_the_index_groups_links_by_category(client, links):
    html = client.get(reverse("resources:index")).content.decode()
    positions = [html.index(f"<h3>{label}</h3>") for label in Category.labels]
    assert positions == sorted(positions)
    assert "not checked yet" in html


def test_anonymous_users_cannot_edit_links(client, links):
    response = client.get(reverse("admin:resources_standardlink_change", args=[links[0].pk]))
    assert response.status_code == 302
    assert response.url.startswith((reverse("admin:login"), reverse("login")))


def test_signed_in_users_without_staff_rights_cannot_edit_links(client, links, user):
    client.force_login(user)
    response = client.get(reverse("admin:resources_standardlink_changelist"))
    assert response.status_code == 302
    html = client.get(reverse("resources:index")).content.decode()
    assert "Edit these links" not in html


def test_staff_can_edit_links(client, links, admin_user):
    client.force_login(admin_user)
    link = links[0]
    response = client.post(
        reverse("admin:resources_standardlink_change", args=[link.pk]),
        {
            "title": "DCB0129 (edited)",
            "description": link.description,
            "url": link.url,
            "category": link.category,
            "order": 3,
            "last_checked": "",
        },
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.title == "DCB0129 (edited)"
    assert "Edit these links" in client.get(reverse("resources:index")).content.decode()


class FakeNetwork:
    """Answers urlopen by URL: an int is an HTTP status, an exception is raised; `head_refused` answers 405 to HEAD."""

    def __init__(self, answers, head_refused=()):
        self.answers = answers
        self.head_refused = set(head_refused)
        self.requests = []

    def __call__(self, request, timeout):
        self.requests.append((request.get_method(), request.full_url, timeout))
        if request.get_method() == "HEAD" and request.full_url in self.head_refused:
            raise urllib.error.HTTPError(request.full_url, 405, "Method Not Allowed", {}, None)
        answer = self.answers.get(request.full_url, 200)
        if isinstance(answer, Exception):
            raise answer
        if answer >= 400:
            raise urllib.error.HTTPError(request.full_url, answer, "Not Found", {}, None)
        return io.BytesIO(b"")


def run(monkeypatch, network, *args):
    monkeypatch.setattr(check_resource_links.urllib.request, "urlopen", network)
    out = io.StringIO()
    try:
        call_command("check_resource_links", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_the_link_check_passes_when_every_link_answers(monkeypatch, links):
    network = FakeNetwork({})
    out, error = run(monkeypatch, network, "--timeout", "3")
    assert error is None
    assert "Every link answered" in out
    assert {url for _, url, _ in network.requests} == {link.url for link in links}
    assert all(method == "HEAD" and timeout == 3 for method, _, timeout in network.requests)
    assert not StandardLink.objects.filter(last_checked__isnull=False).exists()  # only --update records dates


def test_the_link_check_reports_a_failing_link_and_exits_non_zero(monkeypatch, links):
    broken, unreachable = links[0], links[1]
    network = FakeNetwork({broken.url: 404, unreachable.url: urllib.error.URLError("Name or service not known")})
    out, error = run(monkeypatch, network, "--update")
    assert error is not None and error.returncode != 0
    assert "2 link(s) did not answer" in str(error)
    assert f"FAILED  {broken.title} <{broken.url}>: HTTP 404" in out
    assert f"FAILED  {unreachable.title} <{unreachable.url}>: no answer: Name or service not known" in out
    today = timezone.localdate()
    assert set(StandardLink.objects.filter(last_checked=today).values_list("pk", flat=True)) == {
        link.pk for link in links[2:]
    }


def test_the_link_check_reports_a_timeout(monkeypatch, links):
    out, error = run(monkeypatch, FakeNetwork({links[0].url: TimeoutError("timed out")}))
    assert error is not None
    assert f"<{links[0].url}>: no answer: timed out" in out


def test_the_link_check_asks_again_with_get_when_head_is_refused(monkeypatch, links):
    network = FakeNetwork({}, head_refused={links[0].url})
    out, error = run(monkeypatch, network)
    assert error is None
    assert ("GET", links[0].url, 10.0) in network.requests
