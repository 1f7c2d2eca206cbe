"""Where the admin's data import keeps an upload between preview and confirm: the database.

django-import-export's default (TempFolderStorage) writes to the local temporary folder, so a confirm
that reaches another app server finds nothing. Set as IMPORT_EXPORT_TMP_STORAGE_CLASS in settings.
"""

from datetime import timedelta
from uuid import uuid4

from django.utils import timezone
from import_export.tmp_storages import BaseStorage

from hazardlog.models import AdminImportUpload
from hazardlog.workbook.guard import UploadRefused

# A preview nobody confirmed is deleted after this long (the next upload clears it).
KEEP_FOR = timedelta(days=1)


class DatabaseStorage(BaseStorage):
    """BaseStorage's API (django-import-export 4.4): `name` identifies the upload, `save(data)` stores it
    (naming it when new), `read()` returns it (bytes for a "b" read mode), `remove()` deletes it."""

    def save(self, data):
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        if not self.name:
            self.name = uuid4().hex
        AdminImportUpload.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
        AdminImportUpload.objects.create(name=self.name, content=data)

    def read(self):
        upload = AdminImportUpload.objects.filter(name=self.name).first()
        if upload is None:
            raise UploadRefused(
                "The uploaded file is no longer stored (it was already imported, refused, or left unconfirmed "
                "for more than a day). Nothing was imported: upload the file again."
            )
        content = bytes(upload.content)
        return content if "b" in self.read_mode else content.decode(self.encoding or "utf-8-sig")

    def remove(self):
        AdminImportUpload.objects.filter(name=self.name).delete()
