"""Part of `manage.py verify_integrity`: every manufacturer's file brought in still hashes to its SHA-256."""

from hazardlog.issues import sha256


def check_sources() -> list:
    from hazardlog.operations.integrity import Problem

    from .models import UpstreamSource

    problems = []
    for pk, content, recorded in (
        UpstreamSource.objects.order_by("pk").values_list("pk", "content", "sha256").iterator(chunk_size=10)
    ):
        if sha256(bytes(content)) != recorded:
            problems.append(
                Problem("upstream.UpstreamSource", pk, "its file does not match the SHA-256 recorded when brought in")
            )
    return problems
