"""Sign-in and sessions: the locked-out page (django-axes), the client's address behind a proxy, the
absolute lifetime of a session, and password reset only where e-mail is configured."""

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import user_logged_in
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import PasswordResetView
from django.db.models import Max, Q
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

SIGNED_IN_AT = "hazardlog_signed_in_at"
RENEWED_AT = "hazardlog_renewed_at"


def locked_out(request, response=None, credentials=None):
    """The page for a sign-in refused by django-axes: when to try again, never whether the account exists."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    # The lock ends, at the latest, the cool-off after the last counted failure of this account or address.
    username = get_client_username(request, credentials)
    attempts = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=request.axes_ip_address))
    last_failure = attempts.aggregate(last=Max("attempt_time"))["last"] or request.axes_attempt_time
    retry_at = timezone.localtime(last_failure + settings.AXES_COOLOFF_TIME)
    context = {"limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes, "retry_at": retry_at}
    return render(request, "registration/locked_out.html", context, status=429)


def client_ip(request) -> str | None:
    """The address sign-in failures are counted against. Behind HAZARDLOG_TRUSTED_PROXIES proxies the
    connection comes from the nearest proxy, so the client is the address the outermost proxy appended to
    X-Forwarded-For (anything to its left was sent by the client and cannot be trusted)."""
    proxies = settings.HAZARDLOG_TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


@receiver(user_logged_in)
def _record_sign_in(sender, request, user, **kwargs):
    # The account's own failures were its owner's typing: forgiven. Other accounts' failures from the same
    # address still count against that address.
    AccessAttempt.objects.filter(username=user.get_username()).delete()
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = request.session[RENEWED_AT] = timezone.now().timestamp()


class SessionLifetimeMiddleware:
    """Signs a user out HAZARDLOG_SESSION_MAX_HOURS after they signed in, however active the session.

    The idle time-out is Django's own SESSION_COOKIE_AGE, renewed here at most once a minute rather than by
    SESSION_SAVE_EVERY_REQUEST, which writes the session row on every page: a session idle for
    HAZARDLOG_SESSION_IDLE_MINUTES ends, give or take that minute.
    """

    RENEW_AFTER_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            # A session from before this middleware (or from force_login in tests) starts counting now.
            now = timezone.now().timestamp()
            signed_in_at = request.session.setdefault(SIGNED_IN_AT, now)
            hours = settings.HAZARDLOG_SESSION_MAX_HOURS
            if now - signed_in_at > hours * 3600:
                # Not auth.logout(): its signal adds "You have signed out", which the user did not do.
                request.session.flush()
                request.user = AnonymousUser()
                messages.info(
                    request, f"You were signed out after {hours} hours: a session lasts {hours} hours from signing in."
                )
            elif now - request.session.get(RENEWED_AT, 0) > self.RENEW_AFTER_SECONDS:
                request.session[RENEWED_AT] = now  # marks the session modified: saved, cookie renewed
        return self.get_response(request)


@login_not_required
def password_reset(request):
    """Django's password reset when e-mail can be sent; otherwise a page saying who can reset it."""
    if not settings.EMAIL_HOST:
        return render(request, "registration/password_reset_off.html")
    return PasswordResetView.as_view()(request)
