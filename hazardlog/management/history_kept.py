"""django-simple-history ships commands that delete history rows; this project replaces them with refusals."""

from django.core.management.base import CommandError


def refuse(command: str) -> None:
    raise CommandError(
        f"{command} is refused: it deletes history rows, and the clinical risk management file, its history "
        "included, is kept for the life of the system (DCB0129 3.1). No history row was deleted."
    )
