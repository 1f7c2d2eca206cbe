from .base import HardDeleteRefused, NoDeleteModel
from .change import ImportRecord, ImportStatus, LogIssue, LogIssueImmutable, Membership, Role
from .hazard import (
    Cause,
    Control,
    ControlKind,
    ControlType,
    Hazard,
    HazardStatus,
    ImplementationStatus,
    RiskAssessment,
    Stage,
)
from .log import HazardLog, Standard
from .matrix import LikelihoodLevel, RiskCell, RiskMatrix, RiskRating, SeverityLevel
from .upload import AdminImportUpload

__all__ = [
    "AdminImportUpload",
    "Cause",
    "Control",
    "ControlKind",
    "ControlType",
    "HardDeleteRefused",
    "Hazard",
    "HazardLog",
    "HazardStatus",
    "ImplementationStatus",
    "ImportRecord",
    "ImportStatus",
    "LikelihoodLevel",
    "LogIssue",
    "LogIssueImmutable",
    "Membership",
    "NoDeleteModel",
    "RiskAssessment",
    "RiskCell",
    "RiskMatrix",
    "RiskRating",
    "Role",
    "SeverityLevel",
    "Stage",
    "Standard",
]
