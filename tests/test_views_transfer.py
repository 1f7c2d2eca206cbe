"""Export buttons and the import journey: upload → preview → confirm or cancel."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hazardlog.models import Hazard, ImportRecord, ImportStatus, Membership, Role
from tests import factories

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(("kind", "extension"), [("nhs", "xlsx"), ("data-xlsx", "xlsx"), ("csv", "csv")])
def test_an_export_downloads_a_file_named_after_the_log_and_version(signed_in, member_log, kind, extension):
    member_log.name, member_log.version = "Order Comms", "1.2"
    member_log.save()
    factories.make_hazard(member_log, "H1")
    response = signed_in.get(reverse("hazardlog:export", args=[member_log.pk, kind]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "order-comms" in disposition and "v1.2" in disposition and disposition.endswith(f'.{extension}"')
    assert len(response.content) > 100


def test_an_unknown_export_is_not_found(signed_in, member_log):
    assert signed_in.get(reverse("hazardlog:export", args=[member_log.pk, "pdf"])).status_code == 404


def exported_workbook(client, log) -> bytes:
    return client.get(reverse("hazardlog:export", args=[log.pk, "nhs"])).content


def upload(client, log, content, name="hazard-log.xlsx"):
    return client.post(
        reverse("hazardlog:import_upload", args=[log.pk]),
        {"workbook": SimpleUploadedFile(name, content, content_type=XLSX)},
    )


def test_a_workbook_is_previewed_then_imported_on_confirm(signed_in, member_log, user):
    factories.make_hazard(member_log, "H1", name="Allergy not shown")
    factories.make_hazard(member_log, "H2", name="Dose rounded wrongly")
    workbook = exported_workbook(signed_in, member_log)
    target = factories.make_log(name="Second system")
    Membership.objects.create(log=target, user=user, role=Role.EDITOR)

    response = upload(signed_in, target, workbook)
    record = ImportRecord.objects.get(log=target)
    assert response["Location"] == reverse("hazardlog:import_preview", args=[target.pk, record.pk])
    preview = signed_in.get(response["Location"])
    page = preview.content.decode()
    assert ("New hazards", 2) in preview.context["report"].counts
    assert "Allergy not shown" in page and "Confirm import" in page
    assert not Hazard.objects.filter(log=target).exists()

    # Another system's workbook: its cover page differs, so confirming asks what to do with the log's.
    assert "This workbook's cover page differs from this log's" in page
    response = signed_in.post(preview.request["PATH_INFO"], {"action": "confirm", "cover": "replace"})
    assert response["Location"] == reverse("hazardlog:log_detail", args=[target.pk])
    assert sorted(Hazard.objects.filter(log=target).values_list("reference", flat=True)) == ["H1", "H2"]
    assert ImportRecord.objects.get(pk=record.pk).status == ImportStatus.APPLIED


def test_a_cancelled_import_changes_nothing(signed_in, member_log):
    factories.make_hazard(member_log, "H1")
    workbook = exported_workbook(signed_in, member_log)
    target = factories.make_log()
    Membership.objects.create(log=target, user=member_log.memberships.get().user, role=Role.CSO)
    upload(signed_in, target, workbook)
    record = ImportRecord.objects.get(log=target)
    response = signed_in.post(reverse("hazardlog:import_preview", args=[target.pk, record.pk]), {"action": "cancel"})
    assert response.status_code == 302
    assert ImportRecord.objects.get(pk=record.pk).status == ImportStatus.CANCELLED
    assert not Hazard.objects.filter(log=target).exists()


def test_confirming_twice_shows_why_it_is_refused(signed_in, member_log):
    factories.make_hazard(member_log, "H1")
    workbook = exported_workbook(signed_in, member_log)
    target = factories.make_log()
    Membership.objects.create(log=target, user=member_log.memberships.get().user, role=Role.CSO)
    upload(signed_in, target, workbook)
    url = reverse("hazardlog:import_preview", args=[target.pk, ImportRecord.objects.get(log=target).pk])
    signed_in.post(url, {"action": "confirm", "cover": "replace"})
    response = signed_in.post(url, {"action": "confirm", "cover": "replace"})
    assert response.status_code == 409
    assert "This import was already applied" in response.context["refusal"]
    assert "<title>Error: " in response.content.decode()


def test_a_file_that_is_not_a_workbook_is_reported_with_nothing_to_confirm(signed_in, member_log):
    response = upload(signed_in, member_log, b"just some text", name="notes.xlsx")
    preview = signed_in.get(response["Location"])
    page = preview.content.decode()
    assert [m["level"] for m in preview.context["report"].messages] == ["error"]
    assert "Confirm import" not in page
    assert "Nothing can be imported" in page


def test_the_upload_form_asks_for_an_excel_file(signed_in, member_log):
    response = upload(signed_in, member_log, b"a,b\n1,2\n", name="hazards.csv")
    assert "The workbook must be an Excel file ending in .xlsx" in response.content.decode()
    response = signed_in.post(reverse("hazardlog:import_upload", args=[member_log.pk]), {})
    assert "Choose the workbook to upload" in response.content.decode()
    assert not ImportRecord.objects.exists()


def test_a_workbook_over_the_size_limit_is_refused_before_it_is_read(signed_in, member_log, settings):
    settings.HAZARDLOG_MAX_UPLOAD_BYTES = 1000
    response = upload(signed_in, member_log, b"x" * 1001)
    assert "The workbook must be smaller than 1000" in response.content.decode()
    assert not ImportRecord.objects.exists()


def test_the_preview_shows_the_log_details_the_workbook_changes(signed_in, member_log, user):
    member_log.programme = "Medicines optimisation"
    member_log.save()
    workbook = exported_workbook(signed_in, member_log)
    target = factories.make_log(name="Second system")
    Membership.objects.create(log=target, user=user, role=Role.EDITOR)

    preview = signed_in.get(upload(signed_in, target, workbook)["Location"])
    page = preview.content.decode()
    assert "Log details that change" in page
    assert "Medicines optimisation" in page


def test_a_log_too_big_for_a_cell_is_not_exported_but_explained(signed_in, member_log):
    hazard = factories.make_hazard(member_log, "H1")
    for cause in hazard.causes.all():  # saved around the form, as old or imported data might be
        cause.description = "x" * 20_000
        cause.save()
    response = signed_in.get(reverse("hazardlog:export", args=[member_log.pk, "nhs"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("hazardlog:log_detail", args=[member_log.pk])
    assert "could not be exported" in response.content.decode()


def test_the_preview_shows_where_every_cell_went_and_which_column_fed_which_field(signed_in, member_log):
    from tests.import_files import HEADERS, hazard_row, workbook

    content = workbook([hazard_row("H1") + ["May 2026"]], headers=[*HEADERS, "Next review"])
    preview = signed_in.get(upload(signed_in, member_log, content)["Location"])
    page = preview.content.decode()
    report = preview.context["report"]
    assert ("Kept as additional columns", 2) in report.tally and ("Not imported", 0) in report.tally
    assert "Where every cell went" in page and "Which column fed which field" in page
    assert {"column": "T", "header": "Next review", "field": "Additional column"}.items() <= report.sources[-1].items()
    assert "Next review" in page
