"""The completeness checks of a safety case, one module per clause group. `run_checks(case)` runs them all
in the order listed here; each result maps to its clause and to a compliance assessment answer."""

from . import assessment, control, safety_case  # noqa: F401 (each registers its checks)
from .base import CHECKS, Answer, CaseData, Finding, Result, run_checks

__all__ = ["CHECKS", "Answer", "CaseData", "Finding", "Result", "run_checks"]
