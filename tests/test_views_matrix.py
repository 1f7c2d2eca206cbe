"""The risk matrix page and the stylesheet of a matrix's colours."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hazardlog import services
from hazardlog.presenters import contrast
from tests import factories


def test_each_cell_counts_the_hazards_there_initially_and_after_controls(client, user, member_log):
    factories.make_hazard(member_log, "H1", initial=("Major", "High"), residual=("Major", "Low"))
    factories.make_hazard(member_log, "H2", initial=("Major", "High"), residual=("Minor", "Low"))
    factories.make_hazard(factories.make_log(), "H1", initial=("Major", "High"))  # another log
    client.force_login(user)
    response = client.get(reverse("hazardlog:matrix", args=[member_log.pk]))
    rows = response.context["rows"]
    assert [likelihood.name for likelihood, _ in rows] == ["Very high", "High", "Medium", "Low", "Very low"]
    assert [cell.severity.name for cell in rows[0][1]] == [
        "Minor",
        "Significant",
        "Considerable",
        "Major",
        "Catastrophic",
    ]
    cells = {(cell.severity.name, likelihood.name): cell for likelihood, row in rows for cell in row}
    assert (cells["Major", "High"].initial, cells["Major", "High"].residual) == (2, 0)
    assert (cells["Major", "Low"].initial, cells["Major", "Low"].residual) == (0, 1)
    assert cells["Major", "High"].rating.number == 4
    assert sum(cell.initial for cell in cells.values()) == 2


def test_each_count_links_to_the_hazards_in_that_cell(client, user, member_log):
    factories.make_hazard(member_log, "H1", initial=("Major", "High"), residual=("Major", "Low"))
    factories.make_hazard(member_log, "H2", initial=("Minor", "Low"), residual=("Minor", "Low"))
    client.force_login(user)
    page = client.get(reverse("hazardlog:matrix", args=[member_log.pk])).content.decode()
    link = re.search(r'href="([^"]*initial_severity=4&amp;initial_likelihood=4[^"]*)"', page).group(1)
    listed = client.get(link.replace("&amp;", "&"))
    assert [row.hazard.reference for row in listed.context["rows"]] == ["H1"]


def test_the_stylesheet_colours_each_rating_with_readable_text(client, matrix):
    response = client.get(reverse("hazardlog:matrix_css", args=[matrix.pk]))
    assert response["Content-Type"].startswith("text/css")
    css = response.content.decode()
    rules = re.findall(
        r"\.hl-rating--m(\d+)-(\d) \{ background-color: (#\w+); border-color: #\w+; color: (#\w+); \}", css
    )
    assert len(rules) == 5
    for matrix_id, _, fill, text in rules:
        assert int(matrix_id) == matrix.pk
        assert contrast(fill, text) >= 4.5
    orange = next(rule for rule in rules if rule[1] == "5")
    assert orange[2].upper() == "#E36C0A"


def test_the_stylesheet_is_cached_for_long_only_at_its_current_version(client, matrix):
    from hazardlog.presenters import MatrixView

    url = reverse("hazardlog:matrix_css", args=[matrix.pk])
    version = MatrixView.load(matrix.pk).colours_version
    assert "immutable" in client.get(url, {"v": version})["Cache-Control"]
    assert client.get(url, {"v": "old"})["Cache-Control"] == "no-cache"
    rating = matrix.ratings.get(number=5)
    rating.colour = "#FF0000"
    rating.save()
    assert MatrixView.load(matrix.pk).colours_version != version


def test_an_unknown_matrix_has_no_stylesheet(client, db):
    assert client.get(reverse("hazardlog:matrix_css", args=[999])).status_code == 404


def test_a_hazard_entered_in_error_is_not_counted(client, user, member_log):
    factories.make_hazard(member_log, "H1", initial=("Major", "High"), residual=("Major", "Low"))
    mistake = factories.make_hazard(member_log, "H2", initial=("Major", "High"), residual=("Major", "Low"))
    services.mark_entered_in_error(mistake, user, "Saved half-typed", True)
    client.force_login(user)
    rows = client.get(reverse("hazardlog:matrix", args=[member_log.pk])).context["rows"]
    cells = {(cell.severity.name, likelihood.name): cell for likelihood, row in rows for cell in row}
    assert (cells["Major", "High"].initial, cells["Major", "Low"].residual) == (1, 1)


def test_the_page_takes_the_same_queries_whatever_the_log_holds(client, user, member_log):
    url = reverse("hazardlog:matrix", args=[member_log.pk])
    client.force_login(user)
    factories.make_hazard(member_log, "H1")
    client.get(url)  # the first page after signing in also renews the session
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(2, 30):
        factories.make_hazard(member_log, f"H{number}", initial=("Minor", "Low"))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
