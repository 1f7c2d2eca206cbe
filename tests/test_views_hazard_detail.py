"""A hazard laid out for reading, in a fixed number of queries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hazardlog.models import Cause, Control, ControlKind, ControlType, Hazard, HazardStatus
from tests import factories


def test_it_shows_each_cause_with_the_controls_that_answer_it(client, user, member_log):
    hazard = factories.make_hazard(
        member_log,
        "H4",
        initial=("Major", "High"),
        residual=("Major", "Very low"),
        owner="Supplier",
        actions="Re-test after release 2.3",
        status=HazardStatus.TRANSFERRED,
        status_reason="Transferred to the trust's pharmacy team",
    )
    Control.objects.create(
        hazard=hazard,
        number=3,
        description="Pharmacist reviews every dose",
        kind=ControlKind.ADDITIONAL,
        control_type=ControlType.BUSINESS_PROCESS_CHANGE,
        owner="Trust pharmacy",
        evidence="Audit March 2026",
        evidence_url="https://example.org/audit",
    )
    client.force_login(user)
    response = client.get(reverse("hazardlog:hazard_detail", args=[member_log.pk, hazard.pk]))
    page = response.content.decode()
    reading = response.context["reading"]
    assert [
        (c.cause.number, [x.title for x in c.existing], [x.title for x in c.additional]) for c in reading.causes
    ] == [
        (1, ["Control 1 (existing)"], ["Control 2 (additional, Design)"]),
        (2, [], ["Control 2 (additional, Design)"]),
    ]
    assert [control.title for control in reading.unlinked_additional] == [
        "Control 3 (additional, Business Process Change)"
    ]
    assert [(label, len(controls)) for label, controls in reading.additional_by_type] == [
        ("Design", 1),
        ("Business Process Change", 1),
    ]
    for text in [
        "4 Mandatory control",  # Major × High
        "2 Tolerable",  # Major × Very low
        "Mandatory elimination of hazard or addition of control measure",
        "Not certain but very possible",
        "Transferred to the trust&#x27;s pharmacy team",
        "Re-test after release 2.3",
        "Trust pharmacy",
        "Audit March 2026",
        'href="https://example.org/audit"',
    ]:
        assert text in page, text


def test_withdrawn_causes_are_kept_apart(client, user, member_log):
    hazard = factories.make_hazard(member_log)
    cause = hazard.causes.get(number=2)
    cause.withdrawn, cause.withdrawn_reason = True, "Cannot happen since 3.0"
    cause.save()
    client.force_login(user)
    reading = client.get(reverse("hazardlog:hazard_detail", args=[member_log.pk, hazard.pk])).context["reading"]
    assert [c.cause.number for c in reading.causes] == [1]
    assert reading.withdrawn_causes == [cause]


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_hazard_page_takes_the_same_number_of_queries_with_5_or_500_hazards(client, user, member_log):
    client.force_login(user)
    hazards = [factories.make_hazard(member_log, f"H{n}") for n in range(1, 6)]
    url = reverse("hazardlog:hazard_detail", args=[member_log.pk, hazards[0].pk])
    with_5 = queries_for(client, url)
    for number in range(6, 501):
        Hazard.objects.create(log=member_log, reference=f"H{number}", name="Another hazard")
    assert queries_for(client, url) == with_5
    assert with_5 <= 15  # 3 of them renew the session (SESSION_SAVE_EVERY_REQUEST: the idle time-out)


def test_more_causes_and_controls_take_no_more_queries(client, user, member_log):
    client.force_login(user)
    hazard = factories.make_hazard(member_log)
    url = reverse("hazardlog:hazard_detail", args=[member_log.pk, hazard.pk])
    before = queries_for(client, url)
    for number in range(3, 13):
        cause = Cause.objects.create(hazard=hazard, number=number, description=f"Cause {number}")
        control = Control.objects.create(
            hazard=hazard, number=number, description=f"Control {number}", kind=ControlKind.EXISTING
        )
        control.causes.set([cause])
    assert queries_for(client, url) == before


def test_a_hazard_with_no_risk_assessment_says_not_assessed(client, user, member_log):
    """Every newly written-down hazard, and every hazard of an imported consumer guidance log, is in this state."""
    hazard = factories.make_hazard(member_log, "H1", initial=None, residual=None)
    only_initial = factories.make_hazard(member_log, "H2", residual=None)
    client.force_login(user)
    # Each missing assessment is named twice: in the summary at the top and in its own card.
    for item, missing in ((hazard, 2), (only_initial, 1)):
        response = client.get(reverse("hazardlog:hazard_detail", args=[member_log.pk, item.pk]))
        assert response.status_code == 200
        assert response.content.decode().count("Not assessed</strong>") == 2 * missing
