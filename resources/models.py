"""The NHS standards and links a Clinical Safety Officer needs beside the hazard log."""

from urllib.parse import urlsplit

from django.core.validators import URLValidator
from django.db import models

https_only = URLValidator(schemes=["https"], message="Enter a link that starts with https://.")


class Category(models.TextChoices):
    STANDARD = "standard", "Standards"
    GUIDANCE = "guidance", "Guidance"
    TRAINING = "training", "Training"
    TEMPLATE = "template", "Templates"


class StandardLinkManager(models.Manager):
    def get_by_natural_key(self, url):
        return self.get(url=url)


class StandardLink(models.Model):
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=300, help_text="One line: what the reader finds there.")
    url = models.URLField("link", max_length=500, unique=True, validators=[https_only])
    category = models.CharField(max_length=8, choices=Category.choices)
    last_checked = models.DateField(
        null=True, blank=True, help_text="When the link last answered (set by `manage.py check_resource_links`)."
    )
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first within a category.")

    objects = StandardLinkManager()

    class Meta:
        ordering = ["category", "order", "title"]
        constraints = [
            models.CheckConstraint(condition=models.Q(category__in=Category.values), name="link_category_is_known"),
            models.CheckConstraint(condition=models.Q(url__istartswith="https://"), name="link_is_https"),
        ]

    def __str__(self) -> str:
        return self.title

    def natural_key(self):
        return (self.url,)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""
