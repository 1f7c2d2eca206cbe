"""An upload to the admin's data import, kept in the database between its preview and its confirmation."""

from django.db import models


class AdminImportUpload(models.Model):
    """django-import-export keeps the upload in the local temporary folder by default, which a confirm
    served by another app server cannot see. Not a record of the hazard log: deleted once the import is
    confirmed or refused, and abandoned ones after a day (hazardlog.admin_uploads)."""

    name = models.CharField(max_length=64, unique=True)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Admin import upload {self.name} ({self.created_at:%Y-%m-%d %H:%M})"
