"""Bringing a manufacturer's issued hazard log into a deploying organisation's log (issue 13, part 1)."""

import hashlib
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from hazardlog import issues
from hazardlog.models import Hazard, HazardLog, Membership, Role, Standard
from tests import factories
from tests.upstream_data import bring_in_issue, deployer_log, issue_json, manufacturer_log
from upstream import services
from upstream.bring_in import SourceRefused, read_source
from upstream.models import Decision, Evaluation, SourceImmutable, TransferDecision, UpstreamHazard, UpstreamSource

WORKBOOKS = Path(__file__).resolve().parent.parent.parent / "shared" / "nhs-workbooks"
COVER_FIELDS = [f.name for f in HazardLog._meta.concrete_fields]
REAL = sorted(p for p in WORKBOOKS.glob("*.xlsx") if "placeholder" not in p.name)


def _bring_in_file(log, path, user, **details):
    content = path.read_bytes()
    reading = read_source(path.name, content)
    fields = {"manufacturer": "NHS England", "system": path.stem, "version": "1", "issue_date": None, "previous": None}
    return services.bring_in(log, reading, file_name=path.name, content=content, user=user, **(fields | details))


@pytest.mark.django_db
@pytest.mark.parametrize("path", REAL, ids=[p.name for p in REAL])
def test_each_real_workbook_comes_in_without_touching_the_deployers_cover_page(path, user):
    log = deployer_log(user)
    log.owner, log.purpose, log.version = "Trust CSO office", "Deploying ePMA on wards", "0.3"
    log.save()
    own = factories.make_hazard(log, "T1", name="Local workflow hazard")
    cover = {name: getattr(HazardLog.objects.get(pk=log.pk), name) for name in COVER_FIELDS}
    log_history = log.history.count()

    source, diff = _bring_in_file(log, path, user)

    assert {name: getattr(HazardLog.objects.get(pk=log.pk), name) for name in COVER_FIELDS} == cover
    assert log.history.count() == log_history
    assert list(Hazard.objects.filter(log=log)) == [own]
    assert diff is None
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert bytes(UpstreamSource.objects.get(pk=source.pk).content) == path.read_bytes()
    copies = list(source.hazards.all())
    assert len(copies) == Evaluation.objects.filter(log=log).count()
    assert source.cover.get("programme")  # the manufacturer's cover is kept with the source instead
    history = source.history.get()
    assert (history.history_user, history.history_change_reason) == (
        user,
        f"Brought in NHS England {path.stem} version 1 ({path.name})",
    )


@pytest.mark.django_db
def test_consumer_guidance_logs_become_guidance_the_deployer_rates_locally(user):
    log = deployer_log(user)
    path = WORKBOOKS / "GP_Connect_Hazard_Log-Consumers_v0.7.xlsx"
    source, _ = _bring_in_file(log, path, user)
    copies = list(source.hazards.all())
    assert len(copies) > 50
    assert all(copy.is_guidance for copy in copies)
    assert any(copy.row["actions"] for copy in copies)  # the suggested actions are kept
    client = _client(user)
    page = client.get(reverse("upstream:source_detail", args=[log.pk, source.pk])).content.decode()
    assert page.count("Guidance: rate locally") == len(copies)


@pytest.mark.django_db
def test_the_one_row_per_control_layout_keeps_controls_owned_by_the_deploying_organisation(user):
    log = deployer_log(user)
    source, _ = _bring_in_file(log, WORKBOOKS / "CDS_API_Hazard_Log_V1.0.xlsx", user)
    owners = {c["owner"] for copy in source.hazards.all() for c in copy.row["controls"]}
    transferred = [c for copy in source.hazards.all() for c in copy.transferred_controls()]
    assert TransferDecision.objects.filter(evaluation__log=log).count() == len(transferred)
    assert all("deploy" in c["owner"].lower() for c in transferred), owners


@pytest.mark.django_db
def test_the_placeholder_workbook_is_refused_naming_the_column_and_nothing_is_written(user):
    with pytest.raises(SourceRefused) as refused:
        read_source("placeholder.xlsx", (WORKBOOKS / "GP_Connect_Hazard_Log-Consumers_placeholder.xlsx").read_bytes())
    assert "column C" in refused.value.messages[0]
    assert "no hazard names" in refused.value.messages[0]


@pytest.mark.django_db
def test_the_json_of_an_approved_issue_comes_in_as_the_manufacturer_approved_it(user):
    maker = manufacturer_log(user)
    issue = issues.approve_issue(maker, "1.0", "Released", user)
    log = deployer_log(user)
    source, _ = bring_in_issue(log, issue, user)
    assert source.format == "issue_json"
    assert [copy.row for copy in source.hazards.all()] == issue.snapshot["hazards"]
    assert source.cover["name"] == maker.name and source.cover["issue_number"] == "1.0"
    h1 = Evaluation.objects.get(log=log, reference_key="h1")
    assert [(t.control_number, t.decision) for t in h1.transfers.all()] == [(3, Decision.PENDING)]
    assert not Evaluation.objects.filter(log=log, needs_review=True).exists()


def _problems(data) -> list[str]:
    with pytest.raises(SourceRefused) as refused:
        read_source("issue.json", json.dumps(data).encode())
    return refused.value.messages


@pytest.mark.django_db
def test_a_bad_json_names_the_field(user):
    issue = issues.approve_issue(manufacturer_log(user), "1.0", "Released", user)
    data = json.loads(issue_json(issue))
    data["hazards"][0]["controls"][0]["kind"] = "sideways"
    data["hazards"][1]["name"] = ""
    data["hazards"][2]["initial"]["rating"] = "high"
    assert _problems(data) == [
        "hazards[0].controls[0].kind: must be one of 'existing', 'additional', not 'sideways'.",
        "hazards[1].name: is required.",
        "hazards[2].initial.rating: must be a whole number.",
    ]
    data = json.loads(issue_json(issue))
    data["hazards"][1]["reference"] = "h1"
    assert _problems(data) == ["hazards[1].reference: h1 is also hazards[0]."]
    assert _problems({"name": "x"}) == [
        "hazards: the file has no list of hazards; it is not the JSON of an approved issue."
    ]
    with pytest.raises(SourceRefused, match="not JSON"):
        read_source("issue.json", b"\xff{")
    for listed in (3, True, "1.0", {"number": "1.0"}):  # not the list of issues: no issue number, no 500
        data = json.loads(issue_json(issue))
        data["issues"] = listed
        assert "issue_number" not in read_source("issue.json", json.dumps(data).encode()).cover


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_page_refuses_a_bad_file_naming_the_field_and_writes_nothing(user):
    log = deployer_log(user)
    data = {"hazards": [{"reference": "H1", "name": "A", "status": "unknown"}]}
    response = _client(user).post(
        reverse("upstream:bring_in", args=[log.pk]),
        {
            "upload": SimpleUploadedFile("issue.json", json.dumps(data).encode()),
            "manufacturer": "Supplier",
            "version": "1.0",
            "system": "S",
        },
    )
    assert response.status_code == 400
    assert "hazards[0].status: must be one of" in response.content.decode()
    assert not UpstreamSource.objects.exists() and not Evaluation.objects.exists()


@pytest.mark.django_db
def test_the_page_brings_in_an_issue_and_fills_blanks_from_the_file(user):
    issue = issues.approve_issue(manufacturer_log(user), "1.0", "Released", user)
    log = deployer_log(user)
    response = _client(user).post(
        reverse("upstream:bring_in", args=[log.pk]),
        {"upload": SimpleUploadedFile("issue.json", issue_json(issue)), "manufacturer": "Supplier Ltd"},
    )
    source = UpstreamSource.objects.get()
    assert response.status_code == 302
    assert (source.system, source.version, source.issue_date) == (issue.log.name, "1.0", issue.log.version_date)
    page = _client(user).get(response["Location"]).content.decode()
    assert "Wrong dose displayed" in page and "Supplier Ltd" in page


@pytest.mark.django_db
def test_only_a_dcb0160_log_brings_in(user):
    issue = issues.approve_issue(manufacturer_log(user), "1.0", "Released", user)
    other = factories.make_log(standard=Standard.DCB0129)
    Membership.objects.create(log=other, user=user, role=Role.CSO)
    with pytest.raises(Exception, match="Only a DCB0160"):
        bring_in_issue(other, issue, user)
    assert _client(user).get(reverse("upstream:bring_in", args=[other.pk])).status_code == 400


@pytest.mark.django_db
def test_a_source_and_its_copies_are_never_changed(user):
    issue = issues.approve_issue(manufacturer_log(user), "1.0", "Released", user)
    source, _ = bring_in_issue(deployer_log(user), issue, user)
    source.version = "9.9"
    with pytest.raises(SourceImmutable):
        source.save()
    with pytest.raises(SourceImmutable):
        UpstreamHazard.objects.filter(source=source).update(name="x")
    with pytest.raises(SourceImmutable):
        UpstreamSource.objects.filter(pk=source.pk).update(version="x")
    copy = source.hazards.first()
    with pytest.raises(SourceImmutable):
        copy.save()


@pytest.mark.django_db
def test_roles_viewer_reads_outsider_gets_404(user, django_user_model):
    issue = issues.approve_issue(manufacturer_log(user), "1.0", "Released", user)
    log = deployer_log(user)
    source, _ = bring_in_issue(log, issue, user)
    viewer = django_user_model.objects.create_user("viewer", password="x" * 12)
    Membership.objects.create(log=log, user=viewer, role=Role.VIEWER)
    outsider = django_user_model.objects.create_user("outsider", password="x" * 12)
    pages = [
        reverse("upstream:source_list", args=[log.pk]),
        reverse("upstream:source_detail", args=[log.pk, source.pk]),
        reverse("upstream:source_download", args=[log.pk, source.pk]),
    ]
    for page in pages:
        assert _client(viewer).get(page).status_code == 200
        assert _client(outsider).get(page).status_code == 404
    assert _client(viewer).get(reverse("upstream:bring_in", args=[log.pk])).status_code == 403
    download = _client(viewer).get(pages[2])
    assert download.content == issue_json(issue) and download["X-Content-SHA256"] == source.sha256
