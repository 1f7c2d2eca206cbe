"""Every page, in generated states of a log, for every role: no server error anywhere.

The URLs come from the URLconf itself, so a new page is crawled without anyone remembering to add it:
a pattern whose parameters this test cannot fill fails the coverage test below, naming the pattern.
The states are drawn by hypothesis: hazards with no assessment or only one, withdrawn causes and
controls, controls answering no cause, every status, empty and very long texts, a second matrix,
imports previewed, applied, refused and cancelled, approved issues.
"""

import itertools

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from hazardlog import exports, imports, issues, nhs_matrix
from hazardlog.models import (
    Cause,
    Control,
    ControlKind,
    ControlType,
    Hazard,
    HazardStatus,
    ImplementationStatus,
    Membership,
    RiskMatrix,
    Role,
    Stage,
)
from resources import guidance
from safetycase.models import RelatedDocument, SafetyCase, TestIssue
from safetycase.sections import SECTIONS
from tests import factories, upstream_data

# Values for each URL parameter name: (the state's own, another team's, one that does not exist).
# A new parameter name needs an entry here (the coverage test says which).
MISSING = 999_999
PARAMETERS = {
    "log_id": lambda state: ([state.log.pk], [state.other_log.pk], MISSING),
    "hazard_id": lambda state: (state.hazard_ids, [state.other_hazard_id], MISSING),
    "import_id": lambda state: (state.import_ids, [state.other_import_id], MISSING),
    "issue_id": lambda state: (state.issue_ids, [state.other_issue_id], MISSING),
    "membership_id": lambda state: (state.membership_ids, [state.other_membership_id], MISSING),
    "matrix_id": lambda state: ([state.log.matrix_id], [state.other_log.matrix_id], MISSING),
    "kind": lambda state: ([*exports.KINDS, "workbook", "snapshot"], [], "nonsense"),
    "slug": lambda state: (list(guidance.PAGES_BY_SLUG), [], "no-such-page"),
    "section": lambda state: ([section.slug for section in SECTIONS], [], "no_such_section"),
    "document_id": lambda state: ([state.document_id], [state.other_document_id], MISSING),
    "test_issue_id": lambda state: ([state.test_issue_id], [state.other_test_issue_id], MISSING),
    # The PDF is the DOCX converted by LibreOffice (seconds each): tests/test_safetycase_report.py covers it.
    "report_format": lambda state: (["docx"], [], "nonsense"),
    "source_id": lambda state: (state.upstream.source_ids, [state.upstream.other_source_id], MISSING),
    "evaluation_id": lambda state: (state.upstream.evaluation_ids, [state.upstream.other_evaluation_id], MISSING),
    "transfer_id": lambda state: (state.upstream.transfer_ids, [], MISSING),
    "uidb64": lambda state: (["MQ"], [], "not-base64"),
    "token": lambda state: (["set-password"], [], "abc-123"),
}
ALLOWED = {200, 301, 302, 303, 400, 403, 404, 405, 409, 413}
TEXTS = st.sampled_from(["", "x", "Ünïcødé — “quoted” <b>not bold</b> & ampersand", "A long line. " * 700])


def app_patterns(resolver=None, prefix=""):
    """(route, name, parameter names) of every pattern outside the admin."""
    resolver = resolver or get_resolver()
    for item in resolver.url_patterns:
        route = prefix + str(item.pattern)
        if isinstance(item, URLResolver):
            if item.app_name == "admin":
                continue
            namespace = f"{item.namespace}:" if item.namespace else ""
            for sub_route, name, params in app_patterns(item, route):
                yield sub_route, f"{namespace}{name}" if name else None, params
        elif isinstance(item, URLPattern):
            yield route, item.name, list(item.pattern.converters) or _regex_groups(item)


def _regex_groups(pattern) -> list[str]:
    return list(pattern.pattern.regex.groupindex)


def urls_for(state):
    """Every URL of the app: with each combination of the state's own objects, with another team's
    objects, and with objects that do not exist."""
    for _route, name, params in app_patterns():
        if name is None:
            continue
        values = [PARAMETERS[param](state) for param in params]
        combinations = [
            *itertools.product(*(own for own, _, _ in values)),
            tuple(other[0] if other else own[0] for own, other, _ in values if own or other),
            tuple(missing for _, _, missing in values),
        ]
        for combination in combinations:
            if len(combination) == len(params):
                yield reverse(name, kwargs=dict(zip(params, combination, strict=True)))


def admin_urls(state):
    for model, _ in admin.site._registry.items():
        base = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield reverse(f"{base}_changelist")
        yield reverse(f"{base}_add")
        for pk in model._default_manager.order_by("-pk").values_list("pk", flat=True)[:1]:
            yield reverse(f"{base}_change", args=[pk])
            yield reverse(f"{base}_history", args=[pk])


def test_every_pattern_has_its_parameters_filled():
    unknown = sorted(
        {
            f"{name or route}: {param}"
            for route, name, params in app_patterns()
            for param in params
            if param not in PARAMETERS
        }
    )
    assert not unknown, f"Add values for these URL parameters to PARAMETERS: {unknown}"
    unnamed = [route for route, name, _ in app_patterns() if name is None]
    assert not unnamed, f"Name these URL patterns so that they are crawled: {unnamed}"


# The states -----------------------------------------------------------------------------------------

assessment_levels = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(["Minor", "Major", "Catastrophic"]), st.sampled_from(["Very low", "Medium", "High"])),
)
cause_spec = st.fixed_dictionaries({"text": TEXTS.filter(bool), "withdrawn": st.booleans()})
control_spec = st.fixed_dictionaries(
    {
        "text": TEXTS.filter(bool),
        "kind": st.sampled_from(ControlKind.values),
        "type": st.sampled_from(ControlType.values),
        "status": st.sampled_from(ImplementationStatus.values),
        "withdrawn": st.booleans(),
        "answers": st.lists(st.integers(0, 3), max_size=3),
    }
)
hazard_spec = st.fixed_dictionaries(
    {
        "name": TEXTS.filter(bool).map(lambda text: text[:500]),
        "description": TEXTS,
        "status": st.sampled_from(HazardStatus.values),
        "initial": assessment_levels,
        "residual": assessment_levels,
        "causes": st.lists(cause_spec, max_size=3),
        "controls": st.lists(control_spec, max_size=3),
        "owner": TEXTS.map(lambda text: text[:200]),
    }
)
log_spec = st.fixed_dictionaries(
    {
        "hazards": st.lists(hazard_spec, max_size=4),
        "other_matrix": st.booleans(),
        "imports": st.lists(st.sampled_from(["previewed", "applied", "refused", "cancelled"]), max_size=3, unique=True),
        "issues": st.integers(0, 2),
        "standard": st.sampled_from(["DCB0129", "DCB0160"]),
        # The admin's pages cost ten times the app's: crawled in about half of the states.
        "admin": st.booleans(),
    }
)


class State:
    def __init__(self, spec):
        user_model = get_user_model()
        self.crawl_admin = spec["admin"]
        self.users = {
            role: user_model.objects.create_user(
                username=f"crawler-{role}", password="a long enough password", first_name="Ada", last_name=role.title()
            )
            for role in [*Role.values, "outsider", "staff"]
        }
        staff = self.users["staff"]
        staff.is_staff = staff.is_superuser = True
        staff.save()
        matrix = RiskMatrix.objects.get(name=nhs_matrix.NAME)
        if spec["other_matrix"]:
            matrix = factories.copy_matrix(matrix, "Trust matrix", {("Major", "Medium"): 4})
        self.log = factories.make_log(matrix=matrix, standard=spec["standard"])
        self.other_log = factories.make_log()
        self.other_hazard_id = factories.make_hazard(self.other_log).pk
        self.membership_ids = [
            Membership.objects.create(log=self.log, user=self.users[role], role=role).pk for role in Role.values
        ]
        outsider = self.users["outsider"]
        self.other_membership_id = Membership.objects.create(log=self.other_log, user=outsider, role=Role.CSO).pk
        self.other_issue_id = issues.approve_issue(self.other_log, "1.0", "Approved", outsider).pk
        self.other_import_id = imports.preview_import(self.other_log, "other.xlsx", b"not a workbook", outsider).pk
        self.hazard_ids = [self._hazard(n, item).pk for n, item in enumerate(spec["hazards"], start=1)]
        self.issue_ids = self._issues(spec["issues"])
        self.import_ids = [self._import(kind) for kind in spec["imports"]]
        self.document_id, self.test_issue_id = self._safety_case(self.log)
        self.other_document_id, self.other_test_issue_id = self._safety_case(self.other_log)
        self.upstream = upstream_data.CrawlState(self)

    def _safety_case(self, log) -> tuple[int, int]:
        SafetyCase.objects.create(log=log, introduction="## Scope\n\nThe system.", safety_statement="Safe.")
        document = RelatedDocument.objects.create(log=log, title="CRMP", link="https://example.nhs.uk/crmp")
        test_issue = TestIssue.objects.create(log=log, reference="T1", description="Slow", hazard_references="H1")
        return document.pk, test_issue.pk

    def _hazard(self, n, spec) -> Hazard:
        status = spec["status"]
        hazard = Hazard.objects.create(
            log=self.log,
            reference=f"H{n}",
            name=spec["name"],
            description=spec["description"],
            owner=spec["owner"],
            status=status,
            status_reason="" if status == HazardStatus.OPEN else "Reason given",
        )
        causes = [
            Cause.objects.create(hazard=hazard, number=number, description=item["text"], withdrawn=item["withdrawn"])
            for number, item in enumerate(spec["causes"], start=1)
        ]
        for number, item in enumerate(spec["controls"], start=1):
            control = Control.objects.create(
                hazard=hazard,
                number=number,
                description=item["text"],
                kind=item["kind"],
                control_type=item["type"],
                implementation_status=item["status"],
                withdrawn=item["withdrawn"],
            )
            control.causes.set([causes[i] for i in item["answers"] if i < len(causes)])
        for stage in Stage.values:
            if spec[stage]:
                factories.assess(hazard, stage, *spec[stage])
        return hazard

    def _issues(self, count) -> list[int]:
        made = []
        for number in range(1, count + 1):
            if made:  # something changes between issues
                hazard = factories.make_hazard(self.log, reference=f"ISSUE-{number}")
                self.hazard_ids.append(hazard.pk)
            made.append(issues.approve_issue(self.log, f"{number}.0", "Approved for release", self.users[Role.CSO]).pk)
        return made

    def _import(self, kind) -> int:
        cso = self.users[Role.CSO]
        if kind == "refused":
            return imports.preview_import(self.log, "broken.xlsx", b"not a workbook", cso).pk
        content, file_name, _ = exports.export(self.log, "nhs")
        record = imports.preview_import(self.log, file_name, content, cso)
        try:
            if kind == "applied":
                imports.confirm_import(record, cso)
            elif kind == "cancelled":
                imports.cancel_import(record, cso)
        except imports.ImportRefused:
            pass  # a preview with errors cannot be applied: it stays in its refused state, also worth crawling
        return record.pk


def crawl(state) -> list[str]:
    """Every URL, by GET and by an empty POST, for every role and for no one. Returns the failures.

    Signing out comes last, so that every other page is seen signed in; each member must see every
    hazard of the log (a crawl that was quietly sent to the sign-in page would prove nothing).
    """
    failures = []
    sign_out = reverse("logout")
    urls = sorted(set(urls_for(state)) - {sign_out}) + [sign_out]
    clients = {"anonymous": Client()}
    for role, user in state.users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    for who, client in clients.items():
        paths = (sorted(set(admin_urls(state))) if who == "staff" and state.crawl_admin else []) + urls
        for path in paths:
            for method in ("get",) if who == "anonymous" else ("get", "post"):
                try:
                    response = getattr(client, method)(path)
                except Exception as error:  # noqa: BLE001 - a raised exception is a 500 to the user
                    failures.append(f"{method.upper()} {path} as {who}: {type(error).__name__}: {error}")
                    continue
                if response.status_code not in ALLOWED:
                    failures.append(f"{method.upper()} {path} as {who}: {response.status_code}")
                elif method == "get" and response.status_code != 200 and _member_of_hazard_page(state, who, path):
                    failures.append(f"GET {path} as {who}: {response.status_code}, expected the page")
    return failures


def _member_of_hazard_page(state, who, path) -> bool:
    pages = {reverse("hazardlog:hazard_detail", args=[state.log.pk, pk]) for pk in state.hazard_ids}
    return who in Role.values and path in pages


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class TestEveryPageInEveryState(TestCase):
    @settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        # No shrinking: each example builds a log and makes hundreds of requests, and the failure message
        # already names every failing URL, role and state.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(spec=log_spec)
    def test_no_page_fails(self, spec):
        state = State(spec)
        failures = crawl(state)
        assert not failures, "\n".join(failures[:40])
