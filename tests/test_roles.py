"""Every page and action of a log × every role: allowed, forbidden (403) or not found (404).

Non-members get 404 so that a log's existence is not revealed; anonymous users are sent to sign in.
"""

import pytest
from django.urls import reverse

from hazardlog import issues
from hazardlog.models import ImportRecord, Membership, Role
from tests import factories

ALLOWED, FORBIDDEN, NOT_FOUND, SIGN_IN = "allowed", "forbidden", "not found", "sign in"
ROLES = ["cso", "editor", "viewer", "non-member", "anonymous"]


def expect(cso, editor, viewer):
    return {"cso": cso, "editor": editor, "viewer": viewer, "non-member": NOT_FOUND, "anonymous": SIGN_IN}


READ = expect(ALLOWED, ALLOWED, ALLOWED)
EDIT = expect(ALLOWED, ALLOWED, FORBIDDEN)
CSO_ONLY = expect(ALLOWED, FORBIDDEN, FORBIDDEN)

# (name, method, url arguments from the world, data, who may)
PAGES = [
    ("log_detail", "get", lambda w: [w.log.pk], None, READ),
    ("hazard_detail", "get", lambda w: [w.log.pk, w.hazard.pk], None, READ),
    ("matrix", "get", lambda w: [w.log.pk], None, READ),
    ("export", "get", lambda w: [w.log.pk, "nhs"], None, READ),
    ("export", "get", lambda w: [w.log.pk, "data-xlsx"], None, READ),
    ("export", "get", lambda w: [w.log.pk, "csv"], None, READ),
    ("hazard_history", "get", lambda w: [w.log.pk, w.hazard.pk], None, READ),
    ("log_history", "get", lambda w: [w.log.pk], None, READ),
    ("issue_list", "get", lambda w: [w.log.pk], None, READ),
    ("issue_download", "get", lambda w: [w.log.pk, w.issue.pk, "workbook"], None, READ),
    ("issue_download", "get", lambda w: [w.log.pk, w.issue.pk, "json"], None, READ),
    ("member_list", "get", lambda w: [w.log.pk], None, READ),
    ("issue_compare", "get", lambda w: [w.log.pk], None, READ),
    ("hazard_create", "get", lambda w: [w.log.pk], None, EDIT),
    ("hazard_edit", "get", lambda w: [w.log.pk, w.hazard.pk], None, EDIT),
    ("import_upload", "get", lambda w: [w.log.pk], None, EDIT),
    ("import_preview", "get", lambda w: [w.log.pk, w.upload.pk], None, EDIT),
    ("import_preview", "post", lambda w: [w.log.pk, w.upload.pk], {"action": "cancel"}, EDIT),
    ("log_edit", "get", lambda w: [w.log.pk], None, CSO_ONLY),
    (
        "issue_approve",
        "post",
        lambda w: [w.log.pk],
        # Signed with the password again, saying why it is approved with the log's completeness findings.
        {"number": "2.0", "meaning": "Release 2", "password": "a-long-password-1", "justification": "Known"},
        CSO_ONLY,
    ),
    (
        "member_add",
        "post",
        lambda w: [w.log.pk],
        {"username": "someone", "email": "someone@example.nhs.uk", "role": "viewer"},
        CSO_ONLY,
    ),
    (
        "member_change",
        "post",
        lambda w: [w.log.pk, w.viewer_membership.pk],
        {"action": "change", "role": "viewer"},
        CSO_ONLY,
    ),
]


class World:
    def __init__(self, django_user_model):
        self.users = {
            name: django_user_model.objects.create_user(
                username=name,
                email=f"{name}@example.nhs.uk",
                password="a-long-password-1",
                first_name="Sam",
                last_name=name.title(),
            )
            for name in ("cso", "editor", "viewer", "non-member", "someone")
        }
        self.log = factories.make_log()
        for role in (Role.CSO, Role.EDITOR, Role.VIEWER):
            Membership.objects.create(log=self.log, user=self.users[role.value], role=role)
        self.viewer_membership = Membership.objects.get(log=self.log, role=Role.VIEWER)
        self.hazard = factories.make_hazard(self.log, "H1")
        factories.make_signatory(self.users["cso"])  # an approval signs with the CSO's registration
        self.issue = issues.approve_issue(self.log, "1.0", "First issue", self.users["cso"])
        factories.make_hazard(self.log, "H2")  # a change since issue 1.0, so that issue 2.0 can be approved
        self.upload = ImportRecord.objects.create(log=self.log, user=self.users["editor"], file_name="x.xlsx")


@pytest.fixture
def world(db, django_user_model):
    return World(django_user_model)


def outcome(response) -> str:
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return SIGN_IN
    return {403: FORBIDDEN, 404: NOT_FOUND}.get(response.status_code, ALLOWED)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "args", "data", "who"), PAGES, ids=[f"{p[1]}-{p[0]}" for p in PAGES])
def test_each_role_gets_what_it_may(client, world, role, name, method, args, data, who):
    if role != "anonymous":
        client.force_login(world.users[role])
    response = getattr(client, method)(reverse(f"hazardlog:{name}", args=args(world)), data or {})
    assert outcome(response) == who[role], response.status_code
    if outcome(response) == ALLOWED:
        assert response.status_code in (200, 302)


@pytest.mark.parametrize("role", ["cso", "editor", "viewer"])
def test_the_log_list_shows_only_the_logs_a_user_belongs_to(client, world, role):
    other = factories.make_log(name="Somebody else's system")
    client.force_login(world.users[role])
    page = client.get(reverse("hazardlog:log_list")).content.decode()
    assert world.log.name in page
    assert other.name not in page


def test_anonymous_users_are_sent_to_sign_in_from_the_log_list(client):
    response = client.get(reverse("hazardlog:log_list"))
    assert outcome(response) == SIGN_IN
