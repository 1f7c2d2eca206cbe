"""The PDF of a report: its DOCX converted by LibreOffice, headless, with a private profile per run (two
conversions at once would otherwise fight over the user's profile)."""

import shutil
import subprocess
import tempfile
from pathlib import Path

CONVERT_TIMEOUT_SECONDS = 300  # a 1,000-hazard report takes about 25 s of CPU, more on a busy machine


class PdfUnavailable(Exception):
    """LibreOffice is not installed, or the conversion failed."""


def docx_to_pdf(docx: bytes) -> bytes:
    soffice = shutil.which("soffice")
    if soffice is None:
        raise PdfUnavailable("The PDF needs LibreOffice (soffice), which is not installed on this server.")
    with tempfile.TemporaryDirectory(prefix="cscr-") as folder:
        folder = Path(folder)
        source = folder / "report.docx"
        source.write_bytes(docx)
        command = [
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=CONVERT_TIMEOUT_SECONDS)  # noqa: S603
        except (subprocess.SubprocessError, OSError) as error:
            raise PdfUnavailable(f"LibreOffice could not convert the report to PDF: {error}") from None
        target = folder / "report.pdf"
        if not target.exists():
            raise PdfUnavailable("LibreOffice wrote no PDF.")
        return target.read_bytes()
