"""Full-text search of the hazard list (hazardlog/search.py, migration 0012), on whichever database the
suite runs: what it finds, in what order, highlighted how, and an index kept right by every write path."""

import importlib
import re

import pytest
from django.db import connection
from django.urls import reverse

from hazardlog import presenters, search, services
from hazardlog.imports import confirm_import, preview_import
from hazardlog.models import Cause, Control, ControlKind, ControlType, Hazard
from tests import factories
from tests.admin_forms import change_form_data
from tests.import_files import hazard_row, workbook
from tests.test_views_hazard_form import open_form


def found(log, text) -> list[str]:
    """References of the log's hazards matching `text`, best first, as the list orders them."""
    hazards = search.search(presenters.hazard_list(log), text)
    return list(hazards.order_by(f"-{search.RANK}", "reference_sort").values_list("reference", flat=True))


def index_in_step() -> None:
    """The index holds exactly what the hazards, causes and controls hold now."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # FTS5 compares its index with the content (the view) when given rank 1; raises if they differ.
            cursor.execute("INSERT INTO hazardlog_search(hazardlog_search, rank) VALUES ('integrity-check', 1)")
        else:
            cursor.execute(
                "SELECT reference FROM hazardlog_hazard h WHERE search_document <> hazardlog_search_document(h)"
            )
            assert cursor.fetchall() == []


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def page(client, log, q) -> str:
    response = client.get(reverse("hazardlog:log_detail", args=[log.pk]), {"q": q})
    assert response.status_code == 200
    return response.content.decode()


# --- What it finds --------------------------------------------------------------------------------


def test_it_finds_words_in_every_part_of_a_hazard_and_nothing_withdrawn(member_log):
    factories.make_hazard(member_log, "H1", name="Allergy banner missing")
    factories.make_hazard(member_log, "H2", description="Infusion pump rate shown in mL")
    factories.make_hazard(member_log, "H3", clinical_impact="Delayed anticoagulation", actions="Audit quarterly")
    cause_hazard = factories.make_hazard(member_log, "H4")
    Cause.objects.create(hazard=cause_hazard, number=3, description="Interface timeout with pathology")
    control_hazard = factories.make_hazard(member_log, "H5")
    Control.objects.create(
        hazard=control_hazard,
        number=3,
        description="Nightly reconciliation",
        evidence="Penetration report 2026",
        kind=ControlKind.EXISTING,
    )
    withdrawn = factories.make_hazard(member_log, "H6")
    Cause.objects.create(
        hazard=withdrawn, number=3, description="Obsolete formulary", withdrawn=True, withdrawn_reason="Gone"
    )
    assert found(member_log, "allergy") == ["H1"]
    assert found(member_log, "infusion pump") == ["H2"]
    assert found(member_log, "anticoagulation") == ["H3"]
    assert found(member_log, "quarterly") == ["H3"]
    assert found(member_log, "pathology") == ["H4"]
    assert found(member_log, "reconciliation") == ["H5"]
    assert found(member_log, "penetration") == ["H5"]  # evidence
    assert found(member_log, "formulary") == []
    assert found(member_log, "allergy pump") == []  # every word must be found
    index_in_step()


def test_a_word_finds_the_words_it_starts_and_their_other_forms(member_log):
    factories.make_hazard(member_log, "H1", name="Prescription doses miscalculated")
    assert found(member_log, "presc") == ["H1"]
    assert found(member_log, "dose") == ["H1"]
    assert found(member_log, "PRESCRIPTIONS") == ["H1"]


def test_a_reference_finds_its_hazard_first(member_log):
    for reference in ["H-12", "H-120", "H-5"]:
        factories.make_hazard(member_log, reference, name=f"Hazard numbered {reference}")
    factories.make_hazard(member_log, "H-7", name="Mentions H-12 in its name")
    assert found(member_log, "H-12")[0] == "H-12"
    assert found(member_log, "h-12")[0] == "H-12"
    assert found(member_log, "12")[0] == "H-12"
    assert "H-5" not in found(member_log, "12")


def test_a_number_finds_references_that_pad_it_or_join_it_to_letters(member_log):
    for reference in ["EPMA-012", "H12", "H112"]:
        factories.make_hazard(member_log, reference, name="Same name")
    results = found(member_log, "12")
    assert set(results[:2]) == {"EPMA-012", "H12"}
    assert found(member_log, "H12")[0] == "H12"


def test_the_best_match_comes_first(member_log):
    factories.make_hazard(member_log, "H1", name="Wrong patient", description="Shown after a search for warfarin")
    factories.make_hazard(member_log, "H2", name="Warfarin dose not shown")
    hazard = factories.make_hazard(member_log, "H3", name="Stale data")
    Cause.objects.create(hazard=hazard, number=3, description="Warfarin interaction table out of date")
    assert found(member_log, "warfarin") == ["H2", "H1", "H3"]  # name, then description, then cause


def test_a_hazard_entered_in_error_is_not_found(member_log, user):
    hazard = factories.make_hazard(member_log, "H1", name="Duplicate of H2 warfarin")
    factories.make_hazard(member_log, "H2", name="Warfarin")
    services.mark_entered_in_error(hazard, user, "Duplicate", True)
    assert found(member_log, "warfarin") == ["H2"]


def test_another_logs_hazards_are_not_found(member_log):
    factories.make_hazard(factories.make_log(), "H1", name="Warfarin")
    assert found(member_log, "warfarin") == []


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '"warfarin',
        "warfarin\"'",
        "*",
        "war*",
        "-",
        "-warfarin",
        "OR",
        "warfarin OR",
        "AND NOT",
        "NEAR(",
        "NEAR(warfarin dose, 2)",
        "name:warfarin",
        "{name}: warfarin",
        "^warfarin",
        "(warfarin",
        "warfarin)",
        "%",
        "_",
        "\\",
        "'; DROP TABLE hazardlog_hazard; --",
        "&|!<->:*",
        "\x00",
        "a" * 5000,
        " ".join(["w"] * 200),
    ],
)
def test_search_syntax_never_errors(signed_in, member_log, q):
    factories.make_hazard(member_log, "H1", name="Warfarin dose")
    html = page(signed_in, member_log, q)
    assert "hazard" in html


def test_fts_syntax_is_read_as_words(member_log):
    factories.make_hazard(member_log, "H1", name="Warfarin dose")
    factories.make_hazard(member_log, "H2", name="Heparin dose")
    assert found(member_log, "warfarin OR heparin") == []  # OR is a word here, not an operator
    assert found(member_log, '"warfarin dose') == ["H1"]
    assert found(member_log, "-heparin") == ["H2"]  # not a negation
    assert found(member_log, "NEAR(warfarin") == []  # "near" is a word to find


# --- The list page --------------------------------------------------------------------------------


def test_the_list_shows_results_best_first_with_matches_marked(signed_in, member_log):
    factories.make_hazard(member_log, "H1", name="Wrong patient", description="Warfarin given twice")
    factories.make_hazard(member_log, "H2", name="Warfarin dose not shown")
    factories.make_hazard(member_log, "H3", name="Unrelated")
    response = signed_in.get(reverse("hazardlog:log_detail", args=[member_log.pk]), {"q": "warfarin"})
    assert [row.hazard.reference for row in response.context["rows"]] == ["H2", "H1"]
    html = response.content.decode()
    assert '<mark class="hl-mark">Warfarin</mark> dose not shown</a>' in html
    assert 'Details: <mark class="hl-mark">Warfarin</mark> given twice' in html
    assert "Showing 1 to 2 of 2 hazards that match the filters" in html


def test_a_chosen_sort_order_wins_over_relevance(signed_in, member_log):
    factories.make_hazard(member_log, "H1", name="Wrong patient", description="Warfarin given twice")
    factories.make_hazard(member_log, "H2", name="Warfarin dose not shown")
    response = signed_in.get(
        reverse("hazardlog:log_detail", args=[member_log.pk]), {"q": "warfarin", "sort": "reference"}
    )
    assert [row.hazard.reference for row in response.context["rows"]] == ["H1", "H2"]


def test_the_form_s_first_sort_order_is_best_match_and_hazard_number_without_a_search(signed_in, member_log):
    factories.make_hazard(member_log, "H1", name="Wrong patient", description="Warfarin given twice")
    factories.make_hazard(member_log, "H2", name="Warfarin dose not shown")
    url = reverse("hazardlog:log_detail", args=[member_log.pk])
    response = signed_in.get(url, {"q": "warfarin", "sort": "relevance"})  # as the form sends it
    assert [row.hazard.reference for row in response.context["rows"]] == ["H2", "H1"]
    assert '<option value="relevance" selected>Best match</option>' in response.content.decode()
    response = signed_in.get(url, {"q": "", "sort": "relevance"})
    assert [row.hazard.reference for row in response.context["rows"]] == ["H1", "H2"]


def test_highlighted_text_is_escaped(signed_in, member_log):
    factories.make_hazard(
        member_log,
        "H1",
        name='<script>alert("name")</script> warfarin <b>bold</b>',
        description="<img src=x onerror=alert(1)> warfarin \x01<script>alert(2)</script>\x02",
    )
    html = page(signed_in, member_log, "warfarin")
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
    assert '&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; <mark class="hl-mark">warfarin</mark>' in html
    # The description's snippet (PostgreSQL's headline leaves out what looks like a tag; SQLite keeps it).
    assert re.search(r'Details: [^<]*alert\(1\)&gt; <mark class="hl-mark">warfarin</mark>', html)
    html = page(signed_in, member_log, "alert")  # a match beside the markup is marked, the markup escaped
    assert '&lt;script&gt;<mark class="hl-mark">alert</mark>(&quot;name&quot;)&lt;/script&gt;' in html
    assert "<script>" not in html


def test_marked_escapes_every_part():
    assert search.marked("<a>\x01<b>\x02&\x01x") == '&lt;a&gt;<mark class="hl-mark">&lt;b&gt;</mark>&amp;x'


# --- Every write path keeps the index right ----------------------------------------------------------


def test_the_editor_keeps_the_index_right(signed_in, member_log):
    hazard = factories.make_hazard(member_log, "H1", name="Allergy banner missing")
    url = reverse("hazardlog:hazard_edit", args=[member_log.pk, hazard.pk])
    data = {
        **open_form(signed_in, url),
        "name": "Anaphylaxis warning missing",
        "causes-0-description": "Codeine mapping lost",
        "reason": "Reworded",
    }
    assert signed_in.post(url, data).status_code == 302
    assert found(member_log, "allergy") == []
    assert found(member_log, "anaphylaxis") == ["H1"]
    assert found(member_log, "codeine") == ["H1"]
    assert found(member_log, "banner") == []
    index_in_step()


def test_a_withdrawn_cause_leaves_the_index(signed_in, member_log):
    hazard = factories.make_hazard(member_log, "H1")
    cause = hazard.causes.get(number=2)
    cause.description = "Obsolete formulary"
    cause.save()
    assert found(member_log, "formulary") == ["H1"]
    url = reverse("hazardlog:hazard_edit", args=[member_log.pk, hazard.pk])
    data = {**open_form(signed_in, url), "causes-1-withdraw": "on", "causes-1-description": "", "reason": "Dup"}
    assert signed_in.post(url, data).status_code == 302
    assert hazard.causes.get(number=2).withdrawn
    assert found(member_log, "formulary") == []
    assert found(member_log, "cause") == ["H1"]  # cause 1 stays
    index_in_step()


def test_an_import_keeps_the_index_right(member_log, user):
    factories.make_hazard(member_log, "H1", name="Old name of the first")
    rows = [
        hazard_row("H1", name="Imported warfarin hazard"),
        hazard_row("H2", name="Second", causes="1) Barcode scanner offline"),
    ]
    confirm_import(preview_import(member_log, "log.xlsx", workbook(rows), user), user)
    assert found(member_log, "old name") == []
    assert found(member_log, "warfarin") == ["H1"]
    assert found(member_log, "barcode") == ["H2"]
    assert found(member_log, "cache expiry") == ["H1", "H2"]  # existing controls of both
    index_in_step()


def test_the_admin_keeps_the_index_right(admin_client, member_log):
    hazard = factories.make_hazard(member_log, "H1", name="Allergy banner missing")
    url = reverse("admin:hazardlog_hazard_change", args=[hazard.pk])
    data = change_form_data(admin_client.get(url))
    data["name"] = "Anaphylaxis warning missing"
    assert admin_client.post(url, data).status_code == 302
    control = hazard.controls.get(number=1)
    url = reverse("admin:hazardlog_control_change", args=[control.pk])
    data = change_form_data(admin_client.get(url))
    data["evidence"] = "Usability study UX-42"
    assert admin_client.post(url, data).status_code == 302
    assert found(member_log, "allergy") == []
    assert found(member_log, "anaphylaxis") == ["H1"]
    assert found(member_log, "usability") == ["H1"]
    index_in_step()


def test_writes_to_causes_and_controls_keep_the_index_right(member_log):
    hazard = factories.make_hazard(member_log, "H1")
    other = factories.make_hazard(member_log, "H2")
    cause = Cause.objects.create(hazard=hazard, number=3, description="Formulary import truncated")
    assert found(member_log, "formulary") == ["H1"]
    cause.description = "Dictionary import truncated"
    cause.save()
    assert found(member_log, "formulary") == [] and found(member_log, "dictionary") == ["H1"]
    control = Control.objects.create(
        hazard=other,
        number=3,
        description="Checksum on import",
        kind=ControlKind.ADDITIONAL,
        control_type=ControlType.TEST,
    )
    assert found(member_log, "checksum") == ["H2"]
    control.withdrawn, control.withdrawn_reason = True, "Replaced"
    control.save()
    assert found(member_log, "checksum") == []
    index_in_step()
    assert Hazard.objects.count() == 2


def test_the_index_and_its_triggers_are_in_the_migrated_database(db):
    migration = importlib.import_module("hazardlog.migrations.0012_full_text_search")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'table', 'view', 'index')")
            expected = {*migration.SQLITE_TRIGGER_NAMES, "hazardlog_search", "hazardlog_search_content"}
        else:
            cursor.execute("SELECT tgname FROM pg_trigger UNION SELECT indexname FROM pg_indexes")
            expected = {*migration.POSTGRES_TRIGGER_NAMES, "hazardlog_hazard_search_document"}
        present = {name for (name,) in cursor.fetchall()}
    assert expected | {"hazardlog_hazard_listed", "hazardlog_hazard_in_error"} <= present
