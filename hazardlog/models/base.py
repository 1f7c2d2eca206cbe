"""Rules shared by the models of the clinical risk management file: nothing is hard-deleted."""

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from hazardlog.text import CELL_MAX_CHARS


class HardDeleteRefused(Exception):
    """Raised on any attempt to delete a record that DCB0129 3.1 says must be kept for the life of the system."""


class NoDeleteQuerySet(models.QuerySet):
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
