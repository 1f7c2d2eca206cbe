"""The demo log's safety case, signed: `manage.py load_demo` calls `load_demo_safety_case` after loading the
log, so that a newcomer finds an approved issue with its frozen report at once. Every name and registration
here is made up and says so."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from hazardlog import issues
from hazardlog.models import Membership, Role
from hazardlog.services import _track

from . import services, signing
from .models import RelatedDocument, Review, ReviewOutcome, SafetyCase, TestIssue
from .sections import SECTIONS

DEMO_REGISTRATION = ("GPhC", "DEMO-2012345")
DEMO_JOB_TITLE = "Clinical Safety Officer and Lead Pharmacist (demo)"
REVIEWER = ("demo-reviewer", "Samuel", "Adeyemi", "Senior Pharmacist, Medicines Safety (demo)")
ISSUE_NUMBER = "1.0"
MEANING = "Demo issue: approved for the MedChart ePMA 4.2 pilot release with its safety case report"
JUSTIFICATION = (
    "Demo: the findings are open additional controls and rationales still being written for the pilot wards; "
    "each is owned and tracked, and none raises a residual risk above the level accepted for the pilot."
)
REASON = "Demo safety case loaded"

SECTION_TEXT = {
    "introduction": "This report sets out the clinical safety case for the MedChart ePMA module, release 4.2, "
    "for its pilot on two wards. It is a demo written for Hazard Log.",
    "system_definition": "MedChart ePMA lets prescribers order medicines and nurses record their administration. "
    "It exchanges orders with the pharmacy system and reads patient details from the PAS.\n\n"
    "- Users: prescribers, pharmacists, nurses\n- Patients: adult inpatients on the pilot wards",
    "risk_management_system": "Clinical risk management follows the Clinical Risk Management Plan named below. "
    "The Clinical Safety Officer leads the hazard workshops and approves each issue of the hazard log.",
    "risk_analysis": "Hazards were identified in three workshops with pharmacists, nurses and the supplier's "
    "engineers, from the user journeys and the interfaces.",
    "risk_evaluation": "Each hazard's initial risk was rated against the NHS risk matrix below, with the "
    "existing controls in place.",
    "risk_control": "Additional controls were agreed for every hazard above the acceptable level; each has an "
    "owner, and its verification is recorded with its evidence.",
    "hazard_log": "The hazard log accompanies this report as the NHS workbook of the issue named on its cover.",
    "test_issues": "Test issues found in system testing are listed with their safety impact.",
    "safety_statement": "With the controls in place, the residual risk of each hazard is acceptable for the pilot "
    "release. (Demo.)",
    "quality_assurance": "The draft was reviewed by the senior pharmacist for medicines safety before approval.",
    "configuration_control": "The report and the hazard log are issued together; each issue is kept unchanged in "
    "Hazard Log with its SHA-256.",
}


def load_demo_safety_case(log, cso) -> str:
    """Give the demo log a safety case, a recorded review and an approved, signed issue 1.0 with its frozen
    report (the DOCX now; the PDF is converted on its first download). Does nothing once the log has an issue."""
    latest = issues.latest_issue(log)
    if latest is not None:
        return _cover_as_issued(log, latest, cso)
    if signing.signatory_of(cso) is None:
        body, number = DEMO_REGISTRATION
        values = {"professional_body": body, "registration_number": number, "job_title": DEMO_JOB_TITLE}
        signing.save_signatory(cso, values, REASON)
    if not SafetyCase.objects.filter(log=log).exists():
        values = {section.slug: SECTION_TEXT[section.slug] for section in SECTIONS}
        values |= {"report_reference": "HHS-MC-CSCR-004", "crmp_reference": "HHS-CRMP-001 version 2.0"}
        services.save_safety_case(log, values, cso, REASON)
    if not log.related_documents.exists():
        document = RelatedDocument(
            log=log, title="Clinical Risk Management Plan", reference="HHS-CRMP-001", version="2.0"
        )
        services.save_record(document, cso, REASON)
    if not log.test_issues.exists():
        test_issue = TestIssue(
            log=log,
            reference="TI-042",
            description="The dose unit list scrolls past micrograms on small screens.",
            safety_impact="Could add to unit confusion (EPMA-002); the unit is read back on the confirmation screen.",
            hazard_references="EPMA-002",
        )
        services.save_record(test_issue, cso, REASON)
    reviewer = _demo_reviewer(log, cso)
    if not Review.objects.filter(log=log).exists():
        review = signing.request_review(log, reviewer, "Please review the hazards changed for the pilot.", cso)
        signing.record_review(
            review,
            ReviewOutcome.REVIEWED,
            "Demo review: hazards EPMA-001 to EPMA-012 and the safety case read; the controls match the pilot's "
            "ward processes.",
            reviewer,
        )
    issues.approve_issue(log, ISSUE_NUMBER, MEANING, cso, justification=JUSTIFICATION)
    return f"Approved demo issue {ISSUE_NUMBER}, signed by {signing.signer_of(cso).signed_name}, with its report."


def _cover_as_issued(log, issue, cso) -> str:
    """Loading the demo again puts the fixture's draft cover (0.4, Draft) back over the approved issue's: the
    log's cover takes the issue's number, status and date again, as approving it did, so the log page agrees
    with its issues."""
    cover = {
        "version": issue.number,
        "document_status": issues.APPROVED_STATUS,
        "version_date": timezone.localdate(issue.approved_at),
    }
    if all(getattr(log, name) == value for name, value in cover.items()):
        return f"The demo log's approved issue {issue.number} is kept."
    for name, value in cover.items():
        setattr(log, name, value)
    _track(log, cso, f"Demo data reloaded: cover as issue {issue.number} approved").save(
        update_fields=[*cover, "updated_at"]
    )
    return f"The demo log's approved issue {issue.number} is kept, and the cover shows it."


def _demo_reviewer(log, cso):
    username, first, last, title = REVIEWER
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last}
    )
    if created:
        user.set_unusable_password()  # a name in the demo, not a login
        user.save()
    if signing.signatory_of(user) is None:
        signing.save_signatory(
            user, {"professional_body": "GPhC", "registration_number": "DEMO-2054321", "job_title": title}, REASON
        )
    if not Membership.objects.filter(log=log, user=user).exists():
        _track(Membership(log=log, user=user, role=Role.EDITOR), cso, "Demo reviewer added").save()
    return user
