"""What a manufacturer's new version changes, on snapshot-shaped dicts: the comparison of approved issues
(hazardlog.issues.diff_issues) plus the controls newly transferred to the deploying organisation, and, for
each hazard, the words that flag its evaluation for review. Pure: no database."""

import re
from dataclasses import dataclass
from types import SimpleNamespace

from hazardlog.issues import IssueDiff, diff_issues
from hazardlog.models import HazardStatus
from hazardlog.presenters import control_title
from hazardlog.text import reference_key

# An owner naming the deploying organisation: "Deploying organisation", "Deployer", "Trust", "Customer",
# "Local organisation", "User organisation".
DEPLOYER = re.compile(r"deploy|\btrusts?\b|customer|local organi[sz]ation|user organi[sz]ation", re.IGNORECASE)


def transferred_controls(row: dict) -> list[dict]:
    """The hazard's controls the manufacturer transferred to the deploying organisation: those whose owner
    names the deploying organisation, and, in a hazard whose status is Transferred, every additional control
    with no owner named."""
    transferred = row.get("status") == HazardStatus.TRANSFERRED
    return [
        control
        for control in row.get("controls") or []
        if DEPLOYER.search(control.get("owner") or "")
        or (transferred and control.get("kind") == "additional" and not (control.get("owner") or "").strip())
    ]


@dataclass(frozen=True)
class NewTransfer:
    reference: str
    name: str
    control: str  # "Control 3 (additional, Training)"
    description: str


@dataclass(frozen=True)
class SourceDiff:
    issues: IssueDiff  # added, removed, closed, re-rated, changed wording (and cover details)
    new_transfers: tuple[NewTransfer, ...]
    # reference key → what changed, for every hazard of either version that changed
    flags: dict

    @property
    def is_empty(self) -> bool:
        return self.issues.is_empty and not self.new_transfers


def _by_key(snapshot: dict) -> dict:
    return {reference_key(hazard["reference"]): hazard for hazard in snapshot["hazards"]}


def _rating_text(rating) -> str:
    return "not rated" if rating is None else f"{rating.severity} / {rating.likelihood} → {rating.rating}"


def diff_sources(older: dict, newer: dict, version: str = "") -> SourceDiff:
    """Compare two snapshot-shaped dicts (UpstreamSource.snapshot(), or an approved issue's snapshot)."""
    diff = diff_issues(SimpleNamespace(snapshot=older), SimpleNamespace(snapshot=newer))
    before, after = _by_key(older), _by_key(newer)
    in_version = f" in version {version}" if version else ""
    flags: dict[str, list[str]] = {}

    def flag(reference: str, text: str) -> None:
        flags.setdefault(reference_key(reference), []).append(text)

    for hazard in diff.added:
        flag(hazard.reference, f"New{in_version}.")
    for hazard in diff.removed:
        flag(hazard.reference, f"No longer in the manufacturer's log{in_version}.")
    for item in diff.rerated:
        flag(item.reference, f"{item.stage} risk re-rated: {_rating_text(item.old)} became {_rating_text(item.new)}.")
    for item in diff.changed:
        labels = [change.label for change in item.changes]
        flag(item.reference, "Changed: " + "; ".join(labels) + ".")
    new_transfers = []
    for key, hazard in after.items():
        was = {control["number"] for control in transferred_controls(before[key])} if key in before else set()
        for control in transferred_controls(hazard):
            if control["number"] in was or key not in before:
                continue
            title = control_title(control["number"], control["kind"], control.get("control_type", ""))
            new_transfers.append(NewTransfer(hazard["reference"], hazard["name"], title, control["description"]))
            flag(hazard["reference"], f"Newly transferred to the deploying organisation: {title}.")
    return SourceDiff(issues=diff, new_transfers=tuple(new_transfers), flags={k: " ".join(v) for k, v in flags.items()})
