"""The risk-matrix guidance is drawn from the matrix data, so it can never disagree with the ratings."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from hazardlog import nhs_matrix
from hazardlog.models import RiskCell
from resources.presenters import MatrixGuidance

URL = reverse("resources:page", args=["risk-matrix"])


def grid(html: str) -> dict[str, list[int]]:
    """The rendered 5×5 grid as {likelihood: [rating per severity, least severe first]}."""
    table = re.search(r'<table class="nhsuk-table hl-risk-grid">.*?</table>', html, re.S).group(0)
    rows = {}
    for row in re.findall(r"<tr class=\"nhsuk-table__row\">\s*<th[^>]*scope=\"row\">(.*?)</th>(.*?)</tr>", table, re.S):
        rows[row[0].strip()] = [int(n) for n in re.findall(r'<span class="hl-rating__number">(\d)</span>', row[1])]
    return rows


def test_the_grid_shows_the_nhs_matrix_cell_for_cell(client, matrix):
    html = client.get(URL).content.decode()
    assert grid(html) == nhs_matrix.GRID
    for severity in [name for _, name, _ in nhs_matrix.SEVERITIES]:
        assert f'scope="col">{severity}</th>' in html


def test_every_definition_and_acceptability_comes_from_the_matrix(client, matrix):
    html = client.get(URL).content.decode()
    for level in [*matrix.severity_levels.all(), *matrix.likelihood_levels.all()]:
        for line in level.definition.splitlines():
            assert f'<p class="hl-definition">{escape(line)}</p>' in html
    for rating in matrix.ratings.all():
        assert f'<td class="nhsuk-table__cell">{escape(rating.acceptability)}</td>' in html
        assert f'hl-rating hl-rating-{rating.number}" scope="row">' in html


def test_the_guidance_changes_when_a_severity_definition_changes(client, matrix):
    major = matrix.severity_levels.get(name="Major")
    old = major.definition.splitlines()[0]
    major.definition = "Single patient: a definition agreed in our own Clinical Risk Management Plan."
    major.save()
    html = client.get(URL).content.decode()
    assert "a definition agreed in our own Clinical Risk Management Plan." in html
    assert escape(old) not in html


def test_the_guidance_changes_when_a_cell_or_a_label_changes(client, matrix):
    cell = RiskCell.objects.get(matrix=matrix, severity__name="Minor", likelihood__name="Very high")
    cell.rating = matrix.ratings.get(number=5)
    cell.save()
    rating = matrix.ratings.get(number=2)
    rating.label = "Tolerable where justified"
    rating.save()
    html = client.get(URL).content.decode()
    assert grid(html)["Very high"][0] == 5
    assert "Tolerable where justified" in html


def test_an_incomplete_matrix_shows_a_message_instead_of_failing(client, matrix):
    RiskCell.objects.filter(matrix=matrix, severity__name="Minor", likelihood__name="Very low").delete()
    response = client.get(URL)
    assert response.status_code == 200
    assert "This table cannot be shown" in response.content.decode()
    assert "has 24 cells, needs 25" in response.content.decode()


def test_a_missing_nhs_matrix_shows_a_message_instead_of_failing(client, matrix):
    matrix.name = "Renamed"
    matrix.save()
    response = client.get(URL)
    assert response.status_code == 200
    assert "is not in the database" in response.content.decode()


def test_the_rating_colours_are_the_nhs_template_fills():
    css = Path(settings.BASE_DIR, "resources/static/resources/resources.css").read_text()
    colours = {
        int(n): c.upper() for n, c in re.findall(r"\.hl-rating-(\d) \{ background-color: (#[0-9A-Fa-f]{6}); \}", css)
    }
    assert colours == {number: colour.upper() for number, _, _, colour in nhs_matrix.RATINGS}


@pytest.mark.django_db
def test_other_pages_do_not_load_the_matrix(client, monkeypatch):
    def refuse():
        raise AssertionError("the matrix was loaded for a page without matrix tables")

    monkeypatch.setattr(MatrixGuidance, "for_nhs_matrix", refuse)
    assert client.get(reverse("resources:page", args=["faqs"])).status_code == 200
