"""`manage.py bring_in_upstream`: a manufacturer's issue into a DCB0160 log from the command line."""

import io

import pytest
from django.core.management import CommandError, call_command

from hazardlog import issues
from hazardlog.models import HazardLog
from tests.upstream_data import approve_1_1, deployer_log, issue_json, manufacturer_log
from upstream.models import Evaluation, UpstreamSource


def run(*args) -> str:
    out = io.StringIO()
    call_command("bring_in_upstream", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_brings_in_a_version_and_then_the_next_printing_what_is_flagged(user, tmp_path):
    maker = manufacturer_log(user)
    first = tmp_path / "1.0.json"
    first.write_bytes(issue_json(issues.approve_issue(maker, "1.0", "Released", user)))
    log = deployer_log(user)
    cover = HazardLog.objects.filter(pk=log.pk).values().get()
    common = ["--log", log.name, "--user", user.username]

    dry = run(str(first), *common, "--manufacturer", "Supplier Ltd", "--dry-run")
    assert "3 hazards" in dry and "Dry run: nothing was written." in dry
    assert not UpstreamSource.objects.exists() and not Evaluation.objects.exists()

    assert "Flagged for review: none." in run(str(first), *common, "--manufacturer", "Supplier Ltd")
    second = tmp_path / "1.1.json"
    second.write_bytes(issue_json(approve_1_1(maker, user)))
    output = run(str(second), *common, "--supersedes", "1.0")
    assert "new: H4" in output and "re-rated: H2 (Residual)" in output
    assert "newly transferred: H3 Control 3 (additional, Business Process Change)" in output
    assert "Flagged for review: H2, H3, H4." in output
    assert HazardLog.objects.filter(pk=log.pk).values().get() == cover
    assert not log.hazards.exists()


@pytest.mark.django_db
def test_it_refuses_with_the_reason(user, tmp_path):
    log = deployer_log(user)
    bad = tmp_path / "bad.json"
    bad.write_text('{"hazards": [{"reference": "H1"}]}')
    with pytest.raises(CommandError, match=r"hazards\[0\]\.name: is required"):
        run(str(bad), "--log", log.name, "--user", user.username, "--manufacturer", "S", "--source-version", "1")
    with pytest.raises(CommandError, match="no DCB0160 log"):
        run(str(bad), "--log", "Nope", "--user", user.username)
