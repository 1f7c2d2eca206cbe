"""Report each standards link that no longer answers. Run by hand or from cron, never while serving a page."""

import urllib.error
import urllib.request

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from resources.models import StandardLink

USER_AGENT = "HazardLog-link-check/1.0"
# Servers that refuse HEAD answer one of these; ask again with GET.
HEAD_REFUSED = {405, 501}


def check(url: str, timeout: float) -> str:
    """An empty string when the link answers with success, otherwise what went wrong."""
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout):  # noqa: S310 (https links only)
                return ""
        except urllib.error.HTTPError as error:
            if method == "HEAD" and error.code in HEAD_REFUSED:
                continue
            return f"HTTP {error.code} {error.reason}"
        except urllib.error.URLError as error:
            return f"no answer: {error.reason}"
        except (TimeoutError, OSError) as error:
            return f"no answer: {error}"
    return "no answer"


class Command(BaseCommand):
    help = "Check that every standards link still answers; exits non-zero when any does not."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=10.0, help="Seconds to wait for each link.")
        parser.add_argument(
            "--update", action="store_true", help="Record today as the last-checked date of each link that answers."
        )

    def handle(self, *args, timeout, update, **options):
        failures = 0
        today = timezone.localdate()
        for link in StandardLink.objects.order_by("category", "order", "title"):
            problem = check(link.url, timeout)
            if problem:
                failures += 1
                self.stdout.write(self.style.ERROR(f"FAILED  {link.title} <{link.url}>: {problem}"))
                continue
            self.stdout.write(f"ok      {link.title}")
            if update:
                link.last_checked = today
                link.save(update_fields=["last_checked"])
        if failures:
            raise CommandError(f"{failures} link(s) did not answer.")
        self.stdout.write(self.style.SUCCESS("Every link answered."))
