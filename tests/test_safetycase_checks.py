"""The completeness checks: a complete log has no finding; each way of spoiling it fails exactly its check,
with the clause of the log's standard and the compliance answer that follow."""

import pytest

from hazardlog.models import ControlKind, Hazard, HazardStatus, ImplementationStatus, RiskAssessment, Stage, Standard
from safetycase import services
from safetycase.checks import Answer, run_checks
from safetycase.models import SafetyCase, TestIssue
from tests import factories
from tests.safetycase_data import complete_log

pytestmark = pytest.mark.django_db


def results(log):
    return {result.check.key: result for result in run_checks(services.live_case(log))}


def failing(log) -> dict:
    return {key: [f.message for f in r.findings] for key, r in results(log).items() if r.findings}


def test_a_complete_log_has_no_finding_and_every_answer_is_yes():
    log = complete_log()
    assert failing(log) == {}
    assert {key: r.answer for key, r in results(log).items()} == {
        "initial_assessment": Answer.YES,
        "residual_assessment": Answer.YES,
        "unacceptable_justified": Answer.YES,
        "closure_reason": Answer.NOT_APPLICABLE,  # no hazard is closed or transferred
        "transfer_recipient": Answer.NOT_APPLICABLE,
        "control_tracking": Answer.YES,
        "control_evidence": Answer.YES,
        "sections_filled": Answer.YES,
        "test_issue_impact": Answer.YES,
    }


def _assessment(log, reference, stage):
    return RiskAssessment.objects.get(hazard__log=log, hazard__reference=reference, stage=stage)


def _set(instance, **fields):
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.save()


def _additional(log, reference):
    return Hazard.objects.get(log=log, reference=reference).controls.get(kind=ControlKind.ADDITIONAL)


def spoil_initial(log):
    _set(_assessment(log, "H1", Stage.INITIAL), rationale="  ")


def spoil_residual(log):
    factories.make_hazard(log, "H3", owner="Lead", residual=None)
    _set(_assessment(log, "H3", Stage.INITIAL), rationale="Assessed at the workshop")
    _set(_additional(log, "H3"), owner="Manufacturer")


def spoil_owner_of_unacceptable(log):
    _set(Hazard.objects.get(log=log, reference="H2"), owner="")


def spoil_closure(log):
    _set(Hazard.objects.get(log=log, reference="H2"), status=HazardStatus.CLOSED, status_reason="   ")


def spoil_transfer(log):
    hazard = Hazard.objects.get(log=log, reference="H2")
    _set(hazard, status=HazardStatus.TRANSFERRED, status_reason="Transferred at go-live", owner="")
    factories.assess(hazard, Stage.RESIDUAL, "Minor", "Low")  # rating 1: acceptable, needs no owner for that


def spoil_control_owner(log):
    _set(_additional(log, "H1"), owner="")


def spoil_control_evidence(log):
    _set(_additional(log, "H1"), evidence="", evidence_url="")


def spoil_section(log):
    _set(SafetyCase.objects.get(log=log), safety_statement="")


def spoil_test_issue(log):
    TestIssue.objects.create(log=log, reference="T2", description="Crash on print", safety_impact="")


@pytest.mark.parametrize(
    ("spoil", "check", "message", "answer"),
    [
        (spoil_initial, "initial_assessment", "H1: the initial risk assessment has no rationale.", Answer.PARTIAL),
        (spoil_residual, "residual_assessment", "H3 has no residual risk assessment.", Answer.PARTIAL),
        (
            spoil_owner_of_unacceptable,
            "unacceptable_justified",
            "H2: residual risk 3 (Undesirable) is above acceptable and the hazard has no owner.",
            Answer.PARTIAL,
        ),
        (spoil_closure, "closure_reason", "H2 is closed without a reason.", Answer.NO),
        (spoil_transfer, "transfer_recipient", "H2 is transferred but names no owner to whom it went.", Answer.NO),
        (spoil_control_owner, "control_tracking", "H1: additional control 2 has no owner.", Answer.PARTIAL),
        (
            spoil_control_evidence,
            "control_evidence",
            "H1: additional control 2 is verified but has no evidence.",
            Answer.PARTIAL,
        ),
        (spoil_section, "sections_filled", "The section “Summary safety statement” is empty.", Answer.PARTIAL),
        (spoil_test_issue, "test_issue_impact", "Test issue T2 is outstanding with no safety impact.", Answer.PARTIAL),
    ],
)
def test_each_check_finds_exactly_what_is_missing(spoil, check, message, answer):
    log = complete_log()
    spoil(log)
    assert failing(log) == {check: [message]}
    assert results(log)[check].answer == answer


def test_a_residual_risk_above_acceptable_needs_its_justification():
    log = complete_log()
    _set(_assessment(log, "H2", Stage.RESIDUAL), rationale="")
    assert failing(log)["unacceptable_justified"] == [
        "H2: residual risk 3 (Undesirable) is above acceptable; write the benefit–risk justification in the "
        "residual assessment's rationale."
    ]


def test_the_lowest_rating_needs_no_justification():
    log = complete_log()
    factories.assess(Hazard.objects.get(log=log, reference="H2"), Stage.RESIDUAL, "Minor", "Low")
    _set(Hazard.objects.get(log=log, reference="H2"), owner="")
    _set(_assessment(log, "H2", Stage.RESIDUAL), rationale="Low after controls")
    assert results(log)["unacceptable_justified"].outcome.checked == 1  # H1 only


def test_controls_not_yet_verified_are_awaiting():
    log = complete_log()
    _set(_additional(log, "H1"), implementation_status=ImplementationStatus.IMPLEMENTED, evidence="")
    result = results(log)["control_evidence"]
    assert result.findings == ()
    assert result.answer == Answer.AWAITING
    assert result.outcome.evidence == "Additional controls verified: 1 of 2; with their evidence: 1."


def test_every_hazard_failing_answers_no():
    log = complete_log()
    for reference in ("H1", "H2"):
        _set(_assessment(log, reference, Stage.INITIAL), rationale="")
    assert results(log)["initial_assessment"].answer == Answer.NO


def test_a_hazard_entered_in_error_is_not_checked():
    log = complete_log()
    hazard = factories.make_hazard(log, "H9", owner="")
    _set(hazard, entered_in_error=True, entered_in_error_reason="Duplicate")
    assert failing(log) == {}


def test_an_empty_log_is_not_applicable_where_nothing_can_be_checked():
    log = factories.make_log()
    answers = {key: r.answer for key, r in results(log).items()}
    assert answers["initial_assessment"] == Answer.NOT_APPLICABLE
    assert answers["sections_filled"] == Answer.NO  # no section written
    assert len(results(log)["sections_filled"].findings) == 11


def test_each_check_cites_the_clause_of_the_log_standard():
    citations = {key: r.citation for key, r in results(complete_log()).items()}
    assert citations["initial_assessment"] == "DCB0129 4.4.1"
    assert citations["unacceptable_justified"] == "DCB0129 6.2.1"
    assert citations["control_evidence"] == "DCB0129 6.3.2"
    assert citations["sections_filled"] == "DCB0129 3.4.1"
    deployment = results(complete_log(standard=Standard.DCB0160))
    assert not any("DCB0129" in r.citation for r in deployment.values())
    assert deployment["initial_assessment"].citation == "the risk estimation clauses of DCB0160"
