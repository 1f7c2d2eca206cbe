"""The guidance pages and the resources index: public, in NHS.UK markup, linked to one another."""

import re
import socket
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template import Context, Template
from django.urls import reverse

from resources import guidance

SLUGS = ["introduction", "assurance-process", "risk-matrix", "identifying-hazards", "faqs"]

# Published in /work/notes/resources.md for other pages to link to: they must keep existing.
PUBLISHED_ANCHORS = {
    "introduction": ["the-standards", "dcb0129", "dcb0160", "mandatory", "clinical-safety-officer",
                     "clinical-risk-management-file"],
    "assurance-process": ["risk-assessment", "hazard-log", "patient-safety-assessment",
                          "clinical-safety-case-report", "approval-and-release"],
    "risk-matrix": ["severity", "likelihood", "acceptability", "matrix", "initial-risk", "residual-risk"],
    "identifying-hazards": ["what-can-go-wrong", "prompts", "clinical-impact", "causes", "controls",
                            "existing-controls", "additional-controls"],
    "faqs": ["statuses", "transferred-hazards", "existing-and-additional-controls", "re-issue", "owner-and-actions"],
}  # fmt: skip


@pytest.fixture
def no_network(monkeypatch):
    """Serving a page must never call another host."""

    def refuse(*args, **kwargs):
        raise AssertionError("a page tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def page_url(slug):
    return reverse("resources:page", args=[slug])


def test_the_guide_has_the_agreed_pages_in_order():
    assert [page.slug for page in guidance.PAGES] == SLUGS


@pytest.mark.django_db
def test_anyone_can_read_the_index_without_signing_in(client, no_network):
    call_command("loaddata", "resources", verbosity=0)
    response = client.get(reverse("resources:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "nhsuk-header" in html and "nhsuk-footer" in html
    for slug in SLUGS:
        assert f'href="{page_url(slug)}"' in html
    assert "https://digital.nhs.uk/" in html
    assert "Clinical Safety Hazard Log Template" in html
    assert guidance.RESPONSIBILITY_NOTE in html


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SLUGS)
def test_anyone_can_read_each_page_without_signing_in(client, slug, no_network):
    response = client.get(page_url(slug))
    assert response.status_code == 200
    html = response.content.decode()
    assert "nhsuk-header" in html and "nhsuk-footer" in html
    assert f"<h1>{guidance.PAGES_BY_SLUG[slug].title}</h1>" in html
    assert 'href="/accounts/login/' not in html.split("<main", 1)[-1]  # no sign-in prompt in the content


@pytest.mark.django_db
def test_an_unknown_page_is_not_found(client):
    assert client.get("/resources/no-such-page/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SLUGS)
def test_each_page_has_a_contents_list_marking_itself(client, slug):
    html = client.get(page_url(slug)).content.decode()
    contents = re.search(r'<nav class="nhsuk-contents-list".*?</nav>', html, re.S).group(0)
    for other in SLUGS:
        title = guidance.PAGES_BY_SLUG[other].title
        if other == slug:
            assert (
                f'aria-current="page">\n          <span class="nhsuk-contents-list__current">{title}</span>' in contents
            )
        else:
            assert f'href="{page_url(other)}">{title}</a>' in contents


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SLUGS)
def test_each_page_links_to_the_previous_and_next_page(client, slug):
    html = client.get(page_url(slug)).content.decode()
    pagination = re.search(r'<nav class="nhsuk-pagination".*?</nav>', html, re.S).group(0)
    index = SLUGS.index(slug)
    previous = re.search(r'href="([^"]+)" rel="prev"', pagination)
    following = re.search(r'href="([^"]+)" rel="next"', pagination)
    assert (previous.group(1) if previous else None) == (page_url(SLUGS[index - 1]) if index > 0 else None)
    assert (following.group(1) if following else None) == (
        page_url(SLUGS[index + 1]) if index + 1 < len(SLUGS) else None
    )


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SLUGS)
def test_each_page_ends_with_the_responsibility_note(client, slug):
    html = client.get(page_url(slug)).content.decode()
    last_section = max(html.rfind(f'id="{anchor}"') for anchor in guidance.rendered(slug).anchors)
    note = html.index(guidance.RESPONSIBILITY_NOTE)
    pagination = html.index('<nav class="nhsuk-pagination"')
    assert last_section < html.index('id="responsibility"') < note < pagination
    assert html[note:pagination].count("<h") == 0  # no further content between the note and the page links


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SLUGS)
def test_each_page_lists_its_sections_with_links_to_their_anchors(client, slug):
    html = client.get(page_url(slug)).content.decode()
    sections = re.findall(r'<h2 id="([a-z0-9-]+)">', html)
    assert len(sections) >= 3
    for anchor in sections:
        assert f'<li><a href="#{anchor}">' in html


@pytest.mark.parametrize("slug", SLUGS)
def test_the_published_anchors_exist(slug):
    missing = set(PUBLISHED_ANCHORS[slug]) - guidance.rendered(slug).anchors
    assert not missing, f"{slug} lost the sections {sorted(missing)}"


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SLUGS)
def test_links_inside_the_guidance_lead_to_pages_and_sections_that_exist(client, slug):
    base = page_url(slug)
    html = client.get(base).content.decode()
    content = html.split('<div class="hl-guidance">', 1)[1].split('id="responsibility"', 1)[0]
    for href in re.findall(r'href="([^"]+)"', content):
        target = urlsplit(urljoin(base, href))
        if target.scheme or not target.path.startswith("/resources/"):
            continue
        other = target.path.removeprefix("/resources/").strip("/")
        assert other in guidance.PAGES_BY_SLUG, f"{href} on {slug} leads nowhere"
        if target.fragment:
            assert target.fragment in guidance.rendered(other).anchors, f"{href} on {slug} has no such section"


def test_the_guidance_url_tag_links_to_a_section():
    html = Template("{% load guidance %}{% guidance_url 'identifying-hazards' 'causes' %}").render(Context())
    assert html == "/resources/identifying-hazards/#causes"


@pytest.mark.parametrize(("slug", "anchor"), [("no-such-page", ""), ("faqs", "no-such-section")])
def test_the_guidance_url_tag_refuses_what_does_not_exist(slug, anchor):
    with pytest.raises(ValueError, match="no-such"):
        Template(f"{{% load guidance %}}{{% guidance_url '{slug}' '{anchor}' %}}").render(Context())


def test_every_guidance_link_in_the_templates_exists():
    """Other pages link into the guidance with the tag; a renamed section must fail here, not for a user."""
    tag = re.compile(r"{%\s*guidance_url\s+['\"]([^'\"]+)['\"]\s*(?:['\"]([^'\"]*)['\"])?")
    url = re.compile(r"{%\s*url\s+['\"]resources:page['\"]\s+['\"]([^'\"]+)['\"]\s*%}(?:#([a-z0-9-]+))?")
    usages = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text()
        usages += tag.findall(text) + url.findall(text)
    for slug, anchor in usages:
        guidance.guidance_url(slug, anchor)
