"""The handful of small scan files that every generated evidence row points at.

They are written once into the upload folder under `national/`, so that
downloads of generated evidence and exception scans return a real file.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .glossary import ScanType

FOLDER = "national"


@dataclass(frozen=True)
class SampleFile:
    """A stored sample scan: path below the upload folder and its metadata."""

    relative_path: str
    original_name: str
    content_type: str
    size: int
    sha256: str


def minimal_pdf(title: str) -> bytes:
    """Return a one-page PDF 1.4 that shows an ASCII title, with a valid xref table."""
    stream = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    output = io.BytesIO()
    output.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(output.tell())
        output.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = output.tell()
    output.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        output.write(b"%010d 00000 n \n" % offset)
    output.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, xref)
    )
    return output.getvalue()


def _image(kind: str, colour: tuple[int, int, int]) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (160, 120), colour).save(output, kind, quality=85)
    return output.getvalue()


# Scan type → (file name, original name, content type, content).
_SAMPLES = {
    ScanType.CERTIFICATE.value: (
        "certificate.pdf",
        "证书.pdf",
        "application/pdf",
        lambda: minimal_pdf("Certificate"),
    ),
    ScanType.NOTICE.value: (
        "notice.pdf",
        "通知文件.pdf",
        "application/pdf",
        lambda: minimal_pdf("Notice"),
    ),
    ScanType.TRANSCRIPT.value: (
        "transcript.pdf",
        "成绩单.pdf",
        "application/pdf",
        lambda: minimal_pdf("Transcript"),
    ),
    ScanType.INVOICE.value: (
        "invoice.jpg",
        "发票.jpg",
        "image/jpeg",
        lambda: _image("JPEG", (236, 240, 241)),
    ),
    ScanType.OTHER.value: (
        "other.png",
        "其他材料.png",
        "image/png",
        lambda: _image("PNG", (214, 234, 248)),
    ),
}
EXCEPTION_SCAN = (
    "exception-scan.pdf",
    "单位盖章情况说明.pdf",
    "application/pdf",
    lambda: minimal_pdf("Stamped statement"),
)


def _write(root: Path, spec) -> SampleFile:
    file_name, original_name, content_type, content = spec
    data = content()
    target = root / FOLDER / file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_bytes() != data:
        target.write_bytes(data)
    return SampleFile(
        relative_path=f"{FOLDER}/{file_name}",
        original_name=original_name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def write_sample_files(root: Path) -> tuple[dict[str, SampleFile], SampleFile]:
    """Write the sample scans and return them by scan type, with the exception scan."""
    samples = {scan_type: _write(root, spec) for scan_type, spec in _SAMPLES.items()}
    return samples, _write(root, EXCEPTION_SCAN)
