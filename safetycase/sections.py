"""The narrative sections of the NHS Clinical Safety Case Report template, in the template's order.

Each is a Markdown field of `SafetyCase`; the hint says what it holds, in the words of the log's standard
(a DCB0160 log is about deploying a system, with the manufacturer's report as an input).
"""

from dataclasses import dataclass

from hazardlog.models import Role, Standard


@dataclass(frozen=True)
class Section:
    slug: str  # the URL part and the model field
    title: str
    hint: str
    hint_dcb0160: str = ""
    role: str = Role.EDITOR  # who may edit it

    def hint_for(self, standard: str) -> str:
        return self.hint_dcb0160 if standard == Standard.DCB0160 and self.hint_dcb0160 else self.hint


SECTIONS = (
    Section(
        "introduction",
        "Introduction",
        "The purpose of this report, the system it covers and the release it accompanies.",
        "The purpose of this report: the deployment it covers, by which organisation, and the manufacturer's "
        "safety case report it builds on.",
    ),
    Section(
        "system_definition",
        "System definition",
        "The system and its version, the clinical environment, interfaces, users and patients, and its benefits.",
        "The system as deployed: its version and configuration, the deploying organisation's clinical "
        "environment, local interfaces, users and patients, and the benefits expected.",
    ),
    Section(
        "risk_management_system",
        "Clinical risk management system",
        "Key personnel and governance: the Clinical Safety Officer, the Clinical Risk Management Plan followed.",
        "Key personnel and governance in the deploying organisation: its Clinical Safety Officer and its "
        "Clinical Risk Management Plan.",
    ),
    Section(
        "risk_analysis",
        "Clinical risk analysis",
        "How hazards, causes, consequences and existing controls were identified, and who took part.",
        "How hazards of the deployment were identified, including those the manufacturer's hazard log "
        "passes on, and who took part.",
    ),
    Section(
        "risk_evaluation",
        "Clinical risk evaluation",
        "How the initial risk of each hazard was evaluated against the risk matrix.",
    ),
    Section(
        "risk_control",
        "Clinical risk control",
        "The additional controls, why they were chosen, how they were implemented and verified; the residual risk.",
        "The controls the deploying organisation puts in place (and those transferred to it by the "
        "manufacturer), their implementation and verification; the residual risk.",
    ),
    Section(
        "hazard_log",
        "Hazard log",
        "Notes on the hazard log; the report lists the issued log's hazards after this text.",
    ),
    Section(
        "test_issues",
        "Test issues",
        "How testing was done; the outstanding test issues are listed after this text with their safety impact.",
    ),
    Section(
        "safety_statement",
        "Summary safety statement",
        "The Clinical Safety Officer's statement on the clinical safety of the system for this release.",
        "The Clinical Safety Officer's statement on the clinical safety of the system as deployed.",
        role=Role.CSO,
    ),
    Section(
        "quality_assurance",
        "Quality assurance and document approval",
        "Who reviewed and approved this report, and how.",
    ),
    Section(
        "configuration_control",
        "Configuration control",
        "How this report, the hazard log and the system's versions are kept under configuration control.",
    ),
)
SECTIONS_BY_SLUG = {section.slug: section for section in SECTIONS}
