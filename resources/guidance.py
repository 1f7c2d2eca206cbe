"""Guidance pages: Markdown files in `resources/guidance/`, rendered to sanitised HTML once per process.

The risk-matrix page holds placeholders such as `[[matrix:severity]]` on a line of their own; the page
template renders those tables from the database on every request, so the guidance always shows the
matrix the app rates with.
"""

import functools
import html
import re
from dataclasses import dataclass
from pathlib import Path

import markdown
import nh3
from django.http import Http404
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

GUIDANCE_DIR = Path(__file__).resolve().parent / "guidance"


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    summary: str


# The order of the guide: the contents list and the previous/next links follow it.
PAGES = [
    Page(
        "introduction",
        "Introduction to clinical safety",
        "The two standards, who each applies to, the Clinical Safety Officer and the clinical risk management file.",
    ),
    Page(
        "assurance-process",
        "The assurance process step by step",
        "From risk assessment and the hazard log to the clinical safety case report, approval and release.",
    ),
    Page(
        "risk-matrix",
        "Using the risk matrix",
        "Severity, likelihood and what each risk rating means, shown from the matrix this app rates with.",
    ),
    Page(
        "identifying-hazards",
        "Identifying hazards",
        "Questions to ask of a system, and how to describe hazards, causes and controls.",
    ),
    Page(
        "faqs",
        "Questions from Clinical Safety Officers",
        "Statuses, transferred hazards, existing and additional controls, and when to issue the log again.",
    ),
]
PAGES_BY_SLUG = {page.slug: page for page in PAGES}

RESPONSIBILITY_NOTE = (
    "This guidance is an aid, not a substitute for clinical risk management. The safety of a health IT "
    "system remains the responsibility of the organisation that manufactures or deploys it."
)

MATRIX_TABLES = frozenset({"severity", "likelihood", "acceptability", "grid"})
_PLACEHOLDER = re.compile(r"<p>\[\[matrix:([a-z-]+)\]\]</p>")
_ID = re.compile(r"^[a-z][a-z0-9-]*$")
_ID_ATTRIBUTE = re.compile(r'\sid="([^"]+)"')

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "li", "ol", "p", "pre",
    "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}}
# NHS.UK table classes; Markdown only puts <th> in the header row.
TABLE_CLASSES = {
    "table": {"class": "nhsuk-table"},
    "thead": {"class": "nhsuk-table__head"},
    "tbody": {"class": "nhsuk-table__body"},
    "tr": {"class": "nhsuk-table__row"},
    "th": {"class": "nhsuk-table__header", "scope": "col"},
    "td": {"class": "nhsuk-table__cell"},
}


def _keep_plain_ids(tag: str, attribute: str, value: str) -> str | None:
    # Heading ids are link targets: letters, digits and hyphens only.
    if attribute == "id" and not _ID.match(value):
        return None
    return value


def sanitise(fragment: str) -> str:
    """Only the tags and attributes the guidance needs; links only http, https, mailto or relative."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_plain_ids,
        url_schemes={"http", "https", "mailto"},
        set_tag_attribute_values=TABLE_CLASSES,
    )


def render_markdown(text: str) -> tuple[str, list[dict]]:
    """Markdown → sanitised HTML and the table of contents (python-markdown's `toc_tokens`)."""
    converter = markdown.Markdown(extensions=["toc", "attr_list", "tables", "sane_lists"])
    return sanitise(converter.convert(text)), converter.toc_tokens


@dataclass(frozen=True)
class Heading:
    id: str
    text: str


@dataclass(frozen=True)
class Part:
    """A stretch of guidance HTML, followed by one of the matrix tables when `table` is set."""

    html: SafeString
    table: str = ""


@dataclass(frozen=True)
class RenderedPage:
    page: Page
    parts: tuple[Part, ...]
    headings: tuple[Heading, ...]  # the page's sections, for "On this page"
    anchors: frozenset[str]

    @property
    def needs_matrix(self) -> bool:
        return any(part.table for part in self.parts)


def split_placeholders(fragment: str) -> tuple[Part, ...]:
    pieces = _PLACEHOLDER.split(fragment)
    parts = []
    for index in range(0, len(pieces), 2):
        table = pieces[index + 1] if index + 1 < len(pieces) else ""
        if table and table not in MATRIX_TABLES:
            raise ValueError(f"Unknown matrix table [[matrix:{table}]]; use one of {sorted(MATRIX_TABLES)}.")
        parts.append(Part(html=mark_safe(pieces[index]), table=table))  # noqa: S308 (sanitised by nh3)
    return tuple(parts)


@functools.cache
def rendered(slug: str) -> RenderedPage:
    """The page as sanitised HTML, read and rendered once per process."""
    page = PAGES_BY_SLUG.get(slug)
    if page is None:
        raise Http404("No guidance page by that name.")
    fragment, toc = render_markdown((GUIDANCE_DIR / f"{slug}.md").read_text(encoding="utf-8"))
    return RenderedPage(
        page=page,
        parts=split_placeholders(fragment),
        headings=tuple(Heading(id=token["id"], text=html.unescape(token["name"])) for token in toc),
        anchors=frozenset(_ID_ATTRIBUTE.findall(fragment)),
    )


def neighbours(slug: str) -> tuple[Page | None, Page | None]:
    index = PAGES.index(PAGES_BY_SLUG[slug])
    previous = PAGES[index - 1] if index > 0 else None
    following = PAGES[index + 1] if index + 1 < len(PAGES) else None
    return previous, following


def guidance_url(slug: str, anchor: str = "") -> str:
    """The address of a guidance page or of a section in it; refuses a slug or anchor that does not exist."""
    if slug not in PAGES_BY_SLUG:
        raise ValueError(f"There is no guidance page '{slug}'.")
    if anchor and anchor not in rendered(slug).anchors:
        raise ValueError(f"The guidance page '{slug}' has no section #{anchor}.")
    url = reverse("resources:page", args=[slug])
    return f"{url}#{anchor}" if anchor else url
