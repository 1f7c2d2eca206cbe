"""Checks on an uploaded workbook before anything parses it: size, type (by name and by content),
macros, encryption and the size the zip expands to. Pure: bytes in, `UploadRefused` out.

The uncompressed total comes from the zip directory. It cannot be understated to sneak a bomb past
this check: Python's zipfile stops each member at the size the directory declares and then fails
its CRC check, so nothing ever expands beyond the total checked here.
"""

import codecs
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # .xls, and .xlsx files that Excel has encrypted
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # the OLE2 stream an encrypted .xlsx holds
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
WORKBOOK_CONTENT_TYPE = b"spreadsheetml.sheet.main+xml"
MACRO_CONTENT_TYPE = b"macroEnabled"

SAVE_AS_XLSX = "Open it in Excel, choose File › Save As › Excel Workbook (.xlsx), and upload that file."


@dataclass(frozen=True)
class Message:
    """A problem found in an upload, located as precisely as it can be (sheet, row, column letter)."""

    level: str  # "error" or "warning"
    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""

    def as_json(self) -> dict:
        return {
            "level": self.level,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class Messages(list):
    """Messages kept up to `limit` (settings.HAZARDLOG_MAX_MESSAGES); the others only counted, by level,
    so that a file with a problem on every row gives a report of bounded size."""

    def __init__(self, messages=(), limit: int | None = None):
        super().__init__()
        self.limit = settings.HAZARDLOG_MAX_MESSAGES if limit is None else limit
        self.omitted = {"error": 0, "warning": 0}
        self.extend(messages)

    def append(self, message: Message) -> None:
        if len(self) < self.limit:
            super().append(message)
        else:
            self.omitted[message.level] += 1

    def extend(self, messages) -> None:
        for message in messages:
            self.append(message)
        more = getattr(messages, "omitted", {})
        self.omitted = {level: count + more.get(level, 0) for level, count in self.omitted.items()}

    def total(self, level: str) -> int:
        return sum(1 for m in self if m.level == level) + self.omitted[level]


class UploadRefused(Exception):
    """The upload cannot be imported at all; the message says why and what to do about it."""

    def __init__(self, message: str, sheet: str = "", row: int | None = None, column: str = ""):
        super().__init__(message)
        self.message = Message("error", message, sheet, row, column)


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def check_upload(file_name: str, content: bytes) -> None:
    """Raise UploadRefused unless `content` is a plain .xlsx workbook within the size limits."""
    name = file_name or "The file"
    limit = settings.HAZARDLOG_MAX_UPLOAD_BYTES
    if not content:
        raise UploadRefused(f"{name} is empty. Choose the hazard log workbook (.xlsx) and upload it again.")
    if len(content) > limit:
        raise UploadRefused(
            f"{name} is {megabytes(len(content))}; the largest workbook accepted is {megabytes(limit)}. "
            "Remove images or unused sheets, or split the log."
        )
    _check_name(name)
    if content.startswith(OLE2_MAGIC):
        if ENCRYPTED_PACKAGE in content:
            raise UploadRefused(
                f"{name} is password-protected (encrypted). Remove the password in Excel "
                "(File › Info › Protect Workbook › Encrypt with Password, clear it), save, and upload it again."
            )
        raise UploadRefused(f"{name} is an Excel 97–2003 workbook (.xls), not an .xlsx. {SAVE_AS_XLSX}")
    if not content.startswith(ZIP_MAGIC):
        raise UploadRefused(
            f"{name} is not an Excel workbook: it may be a renamed or damaged file. "
            "Upload the hazard log saved from Excel as .xlsx."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _check_archive(name, archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError):
        raise UploadRefused(
            f"{name} is damaged or incomplete (it could not be opened as a workbook; the upload may have been "
            "cut short). Save it again from Excel and upload it."
        ) from None


def _check_name(name: str) -> None:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "xls":
        raise UploadRefused(f"{name} is an Excel 97–2003 workbook (.xls). {SAVE_AS_XLSX}")
    if extension == "xlsm":
        raise UploadRefused(f"{name} is a macro-enabled workbook (.xlsm); macros are not accepted. {SAVE_AS_XLSX}")
    if extension == "ods":
        raise UploadRefused(f"{name} is an OpenDocument spreadsheet (.ods). {SAVE_AS_XLSX}")
    if extension != "xlsx":
        raise UploadRefused(
            f"{name} is not an Excel workbook (.xlsx). Upload the hazard log saved from Excel as .xlsx."
        )


def _check_archive(name: str, archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    limit = settings.HAZARDLOG_MAX_UNCOMPRESSED_BYTES
    expanded = sum(member.file_size for member in members)
    if expanded > limit:
        raise UploadRefused(
            f"{name} expands to {megabytes(expanded)} when opened, more than the {megabytes(limit)} allowed. "
            "It may contain large images or be deliberately malformed."
        )
    if len(members) > settings.HAZARDLOG_MAX_PARTS:
        raise UploadRefused(
            f"{name} is made of {len(members):,} parts, more than the {settings.HAZARDLOG_MAX_PARTS:,} allowed "
            "(a hazard log saved by Excel has a few dozen). Save it again from Excel, without images or extra sheets."
        )
    names = {member.filename for member in members}
    if any(member.flag_bits & 0x1 for member in members):
        raise UploadRefused(f"{name} is password-protected. Remove the password in Excel, save, and upload it again.")
    if "mimetype" in names and archive.read("mimetype").strip() == ODS_MIMETYPE:
        raise UploadRefused(f"{name} is an OpenDocument spreadsheet (.ods) renamed .xlsx. {SAVE_AS_XLSX}")
    content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if any(n.lower().endswith("vbaproject.bin") for n in names) or MACRO_CONTENT_TYPE in content_types:
        raise UploadRefused(f"{name} contains macros, which are not accepted. {SAVE_AS_XLSX}")
    if WORKBOOK_CONTENT_TYPE not in content_types:
        raise UploadRefused(
            f"{name} is not an Excel workbook (it is a zip file of another kind, such as a Word document). "
            "Upload the hazard log saved from Excel as .xlsx."
        )
    _check_tags(name, archive, members)


# Excel never writes these. Refused here, by a byte scan of every XML part, whichever XML parser openpyxl
# then uses: with lxml installed (python-docx brings it) openpyxl parses with lxml rather than defusedxml.
# Parts in UTF-16 (SharePoint's customXml items are) are decoded for the scan, so that a declaration
# cannot hide between NUL bytes.
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_UTF16 = (b"\xff\xfe", b"\xfe\xff")


def _xml_decoder(start: bytes):
    """For an XML part: a function giving its chunks as UTF-8 bytes; None for a binary part (an image)."""
    if start.startswith(_UTF16):
        decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        return lambda chunk: decoder.decode(chunk).encode()
    if start.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        return lambda chunk: chunk
    return None


def _check_declarations(name: str, part: str, data: bytes) -> None:
    if any(marker in data for marker in _DECLARATIONS):
        _refuse_declarations(name, part)


def _refuse_declarations(name: str, part: str):
    raise UploadRefused(
        f"{name} contains XML entity or document type declarations (in its part {part}), which Excel never "
        "writes and which are used in attacks; it was not read. Save it again from Excel."
    )


def _check_tags(name: str, archive: zipfile.ZipFile, members) -> None:
    """Count the XML tags of every part, streamed (a fraction of a second for the largest workbook allowed):
    the cost of parsing grows with them, and a small file can hold millions of tiny elements (empty rows,
    formatting rules, links) that the size limits let through."""
    limit = settings.HAZARDLOG_MAX_XML_TAGS
    tags = 0
    for member in members:
        with archive.open(member) as part:
            tail, first, as_utf8 = b"", True, None
            while chunk := part.read(1 << 20):
                if first:  # images and other binary parts are not XML: only XML parts are scanned
                    first, as_utf8 = False, _xml_decoder(chunk)
                if as_utf8:
                    text = as_utf8(chunk)
                    _check_declarations(name, member.filename, tail + text)
                    tail = text[-16:]
                tags += chunk.count(b"<")
                if tags > limit:
                    raise UploadRefused(
                        f"{name} holds more than {limit:,} XML tags when unpacked (its part {member.filename} "
                        "among them), more than any hazard log needs: it may hold millions of empty rows, "
                        "formatting rules or links, or be deliberately malformed. Save it again from Excel, "
                        "keeping only the hazard log."
                    )
