"""Rules shared by the models of the clinical risk management file: nothing is hard-deleted."""

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from hazardlog.text import CELL_MAX_CHARS


class HardDeleteRefused(Exception):
    """Raised on any attempt to delete a record that DCB0129 3.1 says must be kept for the life of the system."""


class WriteWithoutHistoryRefused(Exception):
    """Raised by QuerySet.update() on a tracked model: it skips save() and so writes no history (DCB0129 3.1)."""


class HistoryOnlyQuerySet(models.QuerySet):
    """The queryset of every model with django-simple-history: no write that skips its history."""

    # Set by history_written_by_caller() and carried to every queryset derived from this one.
    _history_written_by_caller = False

    def update(self, **kwargs):
        if not self._history_written_by_caller:
            raise WriteWithoutHistoryRefused(
                f"{self.model._meta.verbose_name_plural.capitalize()} are not changed with QuerySet.update(), which "
                "writes no history: save() each one, or pass history_written_by_caller() to "
                "simple_history.utils.bulk_update_with_history."
            )
        return super().update(**kwargs)

    def history_written_by_caller(self):
        """The escape hatch for code that writes the history rows itself, such as
        `bulk_update_with_history(objs, Hazard, fields, manager=Hazard.objects.history_written_by_caller())`
        (Django's bulk_update() goes through update())."""
        clone = self._chain()
        clone._history_written_by_caller = True
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._history_written_by_caller = self._history_written_by_caller
        return clone


class NoDeleteQuerySet(HistoryOnlyQuerySet):
    def delete(self):
        raise HardDeleteRefused(f"{self.model._meta.verbose_name_plural} are never deleted.")


class NoDeleteManager(models.Manager.from_queryset(NoDeleteQuerySet)):
    """Also finds records by natural key (`natural_key_fields` on the model), for fixtures."""

    def get_by_natural_key(self, *key):
        return self.get(**dict(zip(self.model.natural_key_fields, key, strict=True)))


class NoDeleteModel(models.Model):
    natural_key_fields: tuple[str, ...] = ()
    objects = NoDeleteManager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise HardDeleteRefused(f"{self._meta.verbose_name_plural} are never deleted.".capitalize())

    def natural_key(self):
        key = []
        for path in self.natural_key_fields:
            value = self
            for part in path.split("__"):
                value = getattr(value, part)
            key.append(value)
        return tuple(key)


def fits_in_a_cell(*field_names: str, prefix: str) -> list[models.CheckConstraint]:
    """Database constraints that keep text short enough for one spreadsheet cell."""
    return [
        models.CheckConstraint(
            condition=LessThanOrEqual(Length(name), CELL_MAX_CHARS), name=f"{prefix}_{name}_fits_a_cell"
        )
        for name in field_names
    ]
