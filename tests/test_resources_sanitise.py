"""Guidance Markdown is rendered through nh3: hostile HTML in a page can never reach a reader."""

import pytest

from resources import guidance


def render(text: str) -> str:
    return guidance.render_markdown(text)[0]


def test_it_removes_script_elements_and_their_content():
    html = render("Before\n\n<script>alert('x')</script>\n\nAfter <script src='https://evil.example/x.js'></script>")
    assert "<script" not in html.lower()
    assert "alert" not in html
    assert "evil.example" not in html
    assert "Before" in html and "After" in html


@pytest.mark.parametrize(
    "hostile",
    [
        '<img src="x" onerror="alert(1)">',
        '<p onclick="alert(1)">click</p>',
        '<a href="/" onmouseover="alert(1)">hover</a>',
        '<svg onload="alert(1)"></svg>',
        '<body onload="alert(1)">',
    ],
)
def test_it_drops_event_handler_attributes(hostile):
    html = render(f"Text\n\n{hostile}\n")
    assert "alert" not in html
    assert " on" not in html.lower().replace("rel=", "")


@pytest.mark.parametrize(
    "link",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](  javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        '<a href="jav&#x09;ascript:alert(1)">click</a>',
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](vbscript:msgbox(1))",
    ],
)
def test_it_neutralises_script_links(link):
    html = render(link)
    lowered = html.lower()
    assert "href" not in lowered  # the link text stays, without anywhere to go
    assert "click" in html
    assert "javascript" not in lowered
    assert "data:" not in lowered
    assert "vbscript" not in lowered


def test_it_keeps_safe_links_headings_ids_and_tables():
    html = render(
        "## Severity {#severity}\n\n"
        "[Risk matrix](../risk-matrix/#likelihood) · [NHS](https://digital.nhs.uk/)\n\n"
        "[mail](mailto:cso@example.org)\n\n"
        "| Rating | Meaning |\n|:--|--|\n| 1 | Acceptable |\n"
    )
    assert '<h2 id="severity">Severity</h2>' in html
    assert 'href="../risk-matrix/#likelihood"' in html
    assert 'href="https://digital.nhs.uk/"' in html
    assert 'href="mailto:cso@example.org"' in html
    assert '<table class="nhsuk-table">' in html
    assert 'class="nhsuk-table__cell"' in html
    assert "style=" not in html  # the table extension's alignment would break the CSP


def test_it_drops_styles_iframes_forms_and_unexpected_attributes():
    html = render(
        '<style>body{display:none}</style><iframe src="https://evil.example"></iframe>'
        '<form action="https://evil.example"><input name="password"></form>'
        '<p style="color:red" class="x" id="ok">text</p>\n\n## Heading {: style="color:red" .evil}\n'
    )
    for banned in ("<style", "display:none", "<iframe", "<form", "<input", "style=", 'class="x"', "evil"):
        assert banned not in html
    assert "text" in html


def test_it_refuses_heading_ids_that_are_not_plain_anchors():
    html = render('## Heading {#"><script>alert(1)</script>}\n\n## Other {#javascript:alert(1)}\n')
    assert "<script" not in html
    assert "javascript:" not in html
