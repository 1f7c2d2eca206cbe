"""Who may do what to a log: one line at the top of each view.

A user sees only the logs they are a member of; every other log answers 404 (its existence is not
revealed). A member whose role is too low for the action gets 403.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from hazardlog.models import HazardLog, Membership, Role

# Each role can do everything the roles after it can.
RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.CSO: 3}


def logs_for(user):
    """The logs this user belongs to."""
    if not user.is_authenticated:
        return HazardLog.objects.none()
    return HazardLog.objects.filter(memberships__user=user)


def role_in(user, log) -> str | None:
    if not user.is_authenticated:
        return None
    # Unordered: one membership per user and log, and the model's ordering would join the log to sort it.
    roles = Membership.objects.filter(user=user, log=log).order_by().values_list("role", flat=True)[:1]
    return next(iter(roles), None)


def can(role: str | None, needed: str) -> bool:
    return role is not None and RANK[role] >= RANK[needed]


def get_log_for_user(user, log_id, needed: str = Role.VIEWER, queryset=None) -> HazardLog:
    """The log if the user is a member with at least `needed`; 404 for non-members, 403 for too low a role.

    The member's role is attached as `log.user_role` for templates.
    """
    queryset = queryset if queryset is not None else HazardLog.objects.all()
    log = queryset.filter(pk=log_id).first() if str(log_id).isdigit() else None
    role = role_in(user, log) if log is not None else None
    if log is None or role is None:
        raise Http404("No hazard log found.")
    if not can(role, needed):
        raise PermissionDenied(f"This needs the {Role(needed).label} role in this log.")
    log.user_role = role
    return log
