"""Accounts as an NHS service runs them: sign-in throttling, long passwords, sessions that end, a permission
to create logs, no disclosure of other teams' logs or of which usernames exist, password reset or a page
saying why not."""

from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from hazardlog.models import HazardLog, Membership, Role
from tests import factories
from tests.test_settings import manage

PASSWORD = "correct-horse-battery-staple"  # the `user` fixture's


def sign_in(client, username, password, address="127.0.0.1", url=None, **headers):
    return client.post(
        url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def colleague(django_user_model):
    return django_user_model.objects.create_user(username="pharmacist", email="pharm@example.nhs.uk", password=PASSWORD)


# --- Sign-in throttling ------------------------------------------------------------------------------


def test_the_right_password_is_refused_after_five_wrong_ones(client, user):
    for attempt in range(4):
        assert sign_in(client, "cso", f"wrong-{attempt}").status_code == 200  # the form again, with its error
    locked = sign_in(client, "cso", "wrong-4")
    assert locked.status_code == 429
    response = sign_in(client, "cso", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Sign-in locked for 15 minutes" in page
    last_failure = AccessAttempt.objects.get(username="cso").attempt_time
    assert f"Try again after {timezone.localtime(last_failure + timedelta(minutes=15)):%H:%M}" in page


def test_a_locked_out_attempt_is_refused_before_its_password_is_checked(client, user):
    for attempt in range(5):
        sign_in(client, "cso", f"wrong-{attempt}")
    with mock.patch.object(ModelBackend, "authenticate", autospec=True) as model_backend:
        assert sign_in(client, "cso", PASSWORD).status_code == 429
    model_backend.assert_not_called()


def test_a_successful_sign_in_clears_the_failures(client, user):
    for attempt in range(4):
        sign_in(client, "cso", f"wrong-{attempt}")
    sign_in(client, "cso", PASSWORD)
    assert signed_in(client)
    client.post(reverse("logout"))
    assert not signed_in(client)
    for attempt in range(4):
        sign_in(client, "cso", f"wrong-again-{attempt}")
    sign_in(client, "cso", PASSWORD)
    assert signed_in(client)


def test_signing_in_to_ones_own_account_does_not_forgive_guesses_at_others(client, user, colleague):
    for name in ("alice", "bob", "carol", "dave"):
        sign_in(client, name, "Password123!")
    sign_in(client, "pharmacist", PASSWORD)
    assert signed_in(client)
    client.post(reverse("logout"))
    sign_in(client, "erin", "Password123!")
    assert sign_in(client, "pharmacist", PASSWORD).status_code == 429


def test_an_address_that_tries_many_accounts_is_locked_out_for_every_account(client, user, colleague):
    for name in ("alice", "bob", "carol", "dave", "erin"):
        sign_in(client, name, "Password123!", address="203.0.113.9")
    assert sign_in(client, "pharmacist", PASSWORD, address="203.0.113.9").status_code == 429
    assert not signed_in(client)
    sign_in(client, "pharmacist", PASSWORD, address="198.51.100.7")
    assert signed_in(client)


def test_an_account_guessed_at_from_many_addresses_is_locked_out_from_every_address(client, user):
    for n in range(5):
        sign_in(client, "cso", "wrong", address=f"203.0.113.{n}")
    assert sign_in(client, "cso", PASSWORD, address="198.51.100.7").status_code == 429
    assert not signed_in(client)


def minutes_pass(minutes):
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=minutes)
        attempt.save()


def test_the_lock_ends_after_the_cool_off_whatever_is_tried_meanwhile(client, user):
    for attempt in range(5):
        sign_in(client, "cso", f"wrong-{attempt}")
    minutes_pass(10)
    for attempt in range(20):
        assert sign_in(client, "cso", f"still-wrong-{attempt}").status_code == 429
    minutes_pass(4)
    assert sign_in(client, "cso", PASSWORD).status_code == 429
    minutes_pass(2)  # 16 minutes after the fifth failure: the lock has ended
    sign_in(client, "cso", PASSWORD)
    assert signed_in(client)


def test_the_limit_and_cool_off_are_settings(client, user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=60)
    sign_in(client, "cso", "wrong")
    response = sign_in(client, "cso", "wrong")
    assert response.status_code == 429
    assert "Sign-in locked for 60 minutes" in response.content.decode()
    assert "After 2 unsuccessful attempts" in response.content.decode()


def test_the_admin_sign_in_is_throttled_too(client, django_user_model):
    django_user_model.objects.create_superuser(username="admin", password=PASSWORD)
    url = reverse("admin:login")
    for attempt in range(5):
        sign_in(client, "admin", f"wrong-{attempt}", url=url)
    response = sign_in(client, "admin", PASSWORD, url=url)
    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert not signed_in(client)


def test_behind_a_proxy_the_client_is_the_address_the_proxy_appended(client, user, colleague, settings):
    settings.HAZARDLOG_TRUSTED_PROXIES = 1
    proxy = "10.0.0.1"
    # The left-hand entries are the client's own and change with every attempt; the proxy's entry does not.
    for n in range(5):
        sign_in(client, f"user{n}", "wrong", address=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.9")
    assert sign_in(client, "cso", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    sign_in(client, "pharmacist", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert signed_in(client)


def test_the_throttling_and_session_variables_are_read_and_checked():
    shown = (
        "from django.conf import settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.SESSION_COOKIE_AGE)"
    )
    env = {"DEBUG": "true", "HAZARDLOG_LOGIN_FAILURE_LIMIT": "3", "HAZARDLOG_LOGIN_COOLOFF_MINUTES": "45"}
    result = manage("shell", "-v", "0", "-c", shown, **env, HAZARDLOG_SESSION_IDLE_MINUTES="20")
    assert result.stdout.split() == ["3", "0:45:00", "1200"], result.stderr
    result = manage("check", DEBUG="true", HAZARDLOG_LOGIN_FAILURE_LIMIT="0")
    assert result.returncode != 0 and "HAZARDLOG_LOGIN_FAILURE_LIMIT" in result.stderr


# --- Passwords ---------------------------------------------------------------------------------------


def test_a_password_needs_twelve_characters():
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("hazard-log1")  # 11
    validate_password("hazard-log12")
    validate_password("demo-hazard-log")  # the demo login `make run` prints


# --- Sessions ----------------------------------------------------------------------------------------


def at(minutes: float):
    """Pretend `minutes` have passed from now, for every reader of django.utils.timezone.now."""
    return mock.patch("django.utils.timezone.now", return_value=START + timedelta(minutes=minutes))


START = timezone.now()


def opens_log_list(client) -> bool:
    response = client.get(reverse("hazardlog:log_list"))
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_session_ends_after_thirty_idle_minutes(client, user):
    with at(0):
        client.force_login(user)
        assert opens_log_list(client)
    with at(29):
        assert opens_log_list(client)
    with at(29 + 29):  # each request starts the thirty minutes again
        assert opens_log_list(client)
    with at(29 + 29 + 31):
        assert not opens_log_list(client)


def test_a_session_is_written_at_most_once_a_minute(client, user):
    from django.contrib.sessions.models import Session

    def expires():
        return Session.objects.get(session_key=client.session.session_key).expire_date

    with at(0):
        client.force_login(user)
        assert opens_log_list(client)
    renewed = expires()
    with at(0.5):
        assert opens_log_list(client)
    assert expires() == renewed  # no write within the minute
    with at(2):
        assert opens_log_list(client)
    assert expires() == renewed + timedelta(minutes=2)


def test_a_session_ends_twelve_hours_after_signing_in_however_active(client, user):
    with at(0):
        sign_in(client, "cso", PASSWORD)
        assert signed_in(client)
    for minutes in range(20, 12 * 60, 20):
        with at(minutes):
            assert opens_log_list(client), minutes
    with at(12 * 60 + 1):
        response = client.get(reverse("hazardlog:log_list"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "You were signed out after 12 hours" in response.content.decode()
    assert not signed_in(client)


# --- Creating logs -----------------------------------------------------------------------------------


def log_data(log=None, **changes):
    data = {"name": "Order comms", "standard": "DCB0160", "matrix": (log or factories.make_log()).matrix_id}
    return {**data, **changes}


def test_an_account_without_the_permission_cannot_create_logs(client, user):
    client.force_login(user)
    assert "Create a hazard log" not in client.get(reverse("hazardlog:log_list")).content.decode()
    response = client.get(reverse("hazardlog:log_create"))
    assert response.status_code == 403
    assert "You cannot create hazard logs" in response.content.decode()
    assert client.post(reverse("hazardlog:log_create"), log_data()).status_code == 403
    assert not HazardLog.objects.filter(name="Order comms").exists()


def test_an_account_with_the_permission_sees_create_a_log(client, creator):
    client.force_login(creator)
    assert "Create a hazard log" in client.get(reverse("hazardlog:log_list")).content.decode()
    assert client.post(reverse("hazardlog:log_create"), log_data()).status_code == 302


def test_another_teams_log_is_not_revealed_by_its_name(client, creator):
    theirs = factories.make_log(name="Order Comms", standard="DCB0160")
    client.force_login(creator)
    response = client.post(reverse("hazardlog:log_create"), log_data(theirs, name="order comms"))
    page = response.content.decode()
    assert "This system name cannot be used for a DCB0160 hazard log" in page
    assert "already" not in page.lower()
    assert reverse("hazardlog:log_detail", args=[theirs.pk]) not in page
    assert HazardLog.objects.filter(name__iexact="order comms").count() == 1


def test_a_member_of_the_existing_log_is_pointed_to_it(client, creator):
    ours = factories.make_log(name="Order Comms", standard="DCB0160")
    Membership.objects.create(log=ours, user=creator, role=Role.VIEWER)
    client.force_login(creator)
    page = client.post(reverse("hazardlog:log_create"), log_data(ours)).content.decode()
    assert "You are already a member of the DCB0160 hazard log for Order Comms" in page
    assert f'href="{reverse("hazardlog:log_detail", args=[ours.pk])}"' in page


def test_renaming_a_log_to_another_teams_does_not_reveal_it(client, user, member_log):
    factories.make_log(name="Order comms", standard=member_log.standard)
    client.force_login(user)
    url = reverse("hazardlog:log_edit", args=[member_log.pk])
    data = {"name": "Order comms", "standard": member_log.standard, "matrix": member_log.matrix_id, "reason": "x"}
    page = client.post(url, data).content.decode()
    assert f"This system name cannot be used for a {member_log.standard} hazard log" in page
    assert "already" not in page.lower()


# --- Adding members ----------------------------------------------------------------------------------


def add_member(client, log, username, email):
    url = reverse("hazardlog:member_add", args=[log.pk])
    return client.post(url, {"username": username, "email": email, "role": Role.VIEWER})


def test_adding_a_member_needs_their_username_and_email_address(client, user, member_log, colleague):
    client.force_login(user)
    assert add_member(client, member_log, "pharmacist", "someone-else@example.nhs.uk").status_code == 400
    assert not Membership.objects.filter(user=colleague).exists()
    assert add_member(client, member_log, "PHARMACIST", "Pharm@Example.nhs.uk").status_code == 302
    assert Membership.objects.get(user=colleague).role == Role.VIEWER


def test_the_add_member_form_does_not_reveal_which_usernames_exist(client, user, member_log, colleague):
    colleague.is_active = False
    colleague.save()
    type(colleague).objects.create_user(username="no-email", password=PASSWORD)
    client.force_login(user)
    attempts = [
        ("nobody", "nobody@example.nhs.uk"),  # no such account
        ("pharmacist", "pharm@example.nhs.uk"),  # inactive account, right address
        ("no-email", "guess@example.nhs.uk"),  # an account with no address
        ("cso", "wrong@example.nhs.uk"),  # an account that exists, wrong address
    ]
    errors = {str(add_member(client, member_log, *attempt).context["form"].errors) for attempt in attempts}
    assert len(errors) == 1
    assert "No active account has both this username and this e-mail address." in errors.pop()


# --- Password reset ----------------------------------------------------------------------------------


def test_without_email_password_reset_says_to_ask_an_administrator(client, user, settings):
    settings.EMAIL_HOST = ""
    user.email = "cso@example.nhs.uk"
    user.save()
    for response in (
        client.get(reverse("password_reset")),
        client.post(reverse("password_reset"), {"email": "cso@example.nhs.uk"}),
    ):
        assert response.status_code == 200
        assert "Ask your administrator to set a new password" in response.content.decode()
    assert mail.outbox == []
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


def test_with_email_password_reset_sends_a_link(client, user, settings):
    settings.EMAIL_HOST = "smtp.example.nhs.uk"
    user.email = "cso@example.nhs.uk"
    user.save()
    response = client.post(reverse("password_reset"), {"email": "cso@example.nhs.uk"})
    assert response.status_code == 302
    (message,) = mail.outbox
    link = next(word for word in message.body.split() if "/accounts/reset/" in word)
    page = client.get(link, follow=True)
    assert "Set a new password" in page.content.decode()
    short = client.post(page.redirect_chain[-1][0], {"new_password1": "too-short-1", "new_password2": "too-short-1"})
    assert "at least 12 characters" in short.content.decode()
