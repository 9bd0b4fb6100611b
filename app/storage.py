"""Store evidence scans and profile photos under one root folder.

The caller passes the root folder, so this module reads no Flask configuration.
Files are stored under generated names and identified by their content, never by
the extension of the uploaded name.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO
from urllib.parse import quote

import filetype
from flask import send_file
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

# Accepted kinds, in the order that messages list them. The labels use "JPG"
# because that is the name users know.
KIND_LABELS = {"pdf": "PDF", "jpeg": "JPG", "png": "PNG"}
KIND_EXTENSIONS = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png"}
KIND_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
}
PHOTO_KINDS = frozenset({"jpeg", "png"})

# filetype 1.2 names JPEG "jpg". Any other kind that it detects maps to None.
_FILETYPE_EXTENSION_TO_KIND = {"pdf": "pdf", "jpg": "jpeg", "png": "png"}

MAX_ORIGINAL_NAME_LENGTH = 200
UNNAMED_FILE = "未命名文件"
BYTES_PER_MB = 1024 * 1024
_READ_CHUNK_SIZE = 64 * 1024

# Decoded pixels allowed in a photo: 50 million, about 150 MB as 8-bit RGB. This is
# below Pillow's own MAX_IMAGE_PIXELS (89,478,485 in Pillow 13), which is left
# unchanged because it is a process-wide setting.
MAX_PHOTO_PIXELS = 50_000_000
PHOTO_JPEG_QUALITY = 85
PHOTO_BACKGROUND = (255, 255, 255)

# Pillow reports damaged image data with any of these, depending on the format and
# on where the data breaks. UnidentifiedImageError is a subclass of OSError.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError)


class UploadRejected(ValueError):
    """An upload that failed a check, with a Chinese message for the form."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StoredFile:
    """Metadata of a stored file, for the database row that refers to it."""

    relative_path: str
    """POSIX path below the storage root, e.g. ``ab/cd/<uuid hex>.pdf``."""
    original_name: str
    """The uploaded name after ``clean_original_name``."""
    content_type: str
    size: int
    """Size of the stored file in bytes."""
    sha256: str
    """Hex digest of the stored bytes."""


def sniff_kind(data: bytes) -> str | None:
    """Return "pdf", "jpeg" or "png" from the leading bytes of ``data``, else None.

    filetype identifies a PDF by the "%PDF" signature alone, so a file that starts
    with it counts as a PDF even if the rest is damaged.
    """
    guess = filetype.guess(data)
    if guess is None:
        return None

    return _FILETYPE_EXTENSION_TO_KIND.get(guess.extension)


def clean_original_name(name: str) -> str:
    """Return an uploaded file name that is safe to store and display.

    Folders (with / or \\) are dropped, control, format and line-separator characters
    are removed, and the result is cut to 200 characters, keeping a short extension.
    Chinese characters stay. An empty result becomes "未命名文件".
    """
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Format characters include U+202E, which displays "gpj.exe" as "exe.jpg".
    name = "".join(
        char
        for char in name
        if unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Zl", "Zp"}
    )
    name = name.strip()
    if name in {"", ".", ".."}:
        return UNNAMED_FILE

    if len(name) <= MAX_ORIGINAL_NAME_LENGTH:
        return name

    stem, dot, extension = name.rpartition(".")
    if dot and stem and len(extension) <= 16:
        keep = MAX_ORIGINAL_NAME_LENGTH - len(extension) - 1
        return stem[:keep] + "." + extension

    return name[:MAX_ORIGINAL_NAME_LENGTH]


def _format_megabytes(max_bytes: int) -> str:
    return f"{max_bytes / BYTES_PER_MB:g} MB"


def _read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    """Read the whole stream, or raise UploadRejected once it passes ``max_bytes``.

    At most ``max_bytes + 1`` bytes are read, and the file stays in memory.
    """
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be positive, got {max_bytes}")

    buffer = bytearray()
    while len(buffer) <= max_bytes:
        chunk = stream.read(min(_READ_CHUNK_SIZE, max_bytes + 1 - len(buffer)))
        if not chunk:
            break
        buffer.extend(chunk)

    if len(buffer) > max_bytes:
        raise UploadRejected(
            f"文件超过 {_format_megabytes(max_bytes)} 的大小上限，请压缩或拆分后重新上传。"
        )

    if not buffer:
        raise UploadRejected("文件为空，请选择有内容的文件重新上传。")

    return bytes(buffer)


def _describe_kinds(kinds: set[str] | frozenset[str]) -> str:
    return "、".join(label for kind, label in KIND_LABELS.items() if kind in kinds)


def _check_kind(data: bytes, allowed: set[str] | frozenset[str]) -> str:
    kind = sniff_kind(data)
    if kind not in allowed:
        raise UploadRejected(
            f"只能上传 {_describe_kinds(allowed)} 格式的文件。"
            "格式按文件内容识别，修改扩展名无效。"
        )

    return kind


def _write_atomically(root: Path, data: bytes, kind: str) -> str:
    """Write ``data`` under a new generated name and return its relative path.

    The bytes go to a temporary file in the target folder, which os.replace then
    renames, so readers never see a partial file. The file gets mode 0600, the
    default of tempfile.mkstemp.
    """
    name = uuid.uuid4().hex
    relative = PurePosixPath(name[:2], name[2:4], name + KIND_EXTENSIONS[kind])
    target = Path(root, relative)
    target.parent.mkdir(parents=True, exist_ok=True)

    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

    return relative.as_posix()


def name_for_kind(original_name: str, kind: str) -> str:
    """Give a cleaned file name the extension of its detected kind.

    The name is shown and used on download, so a PDF uploaded as "证书.exe"
    is kept as "证书.pdf" rather than offered as an executable.
    """
    name = clean_original_name(original_name)
    extension = KIND_EXTENSIONS[kind]
    accepted = {extension, ".jpeg"} if kind == "jpeg" else {extension}
    stem, dot, current = name.rpartition(".")
    if dot and f".{current.lower()}" in accepted:
        return name
    base = stem if dot and stem else name
    return base[: MAX_ORIGINAL_NAME_LENGTH - len(extension)] + extension


def _store_bytes(root: Path, data: bytes, kind: str, original_name: str) -> StoredFile:
    relative_path = _write_atomically(root, data, kind)
    stored = StoredFile(
        relative_path=relative_path,
        original_name=name_for_kind(original_name, kind),
        content_type=KIND_CONTENT_TYPES[kind],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    logger.info(
        "Stored file %s (%s, %d bytes, sha256 %s)",
        stored.relative_path,
        stored.content_type,
        stored.size,
        stored.sha256,
    )
    return stored


def store_upload(
    root: Path,
    stream: BinaryIO,
    original_name: str,
    *,
    allowed: set[str],
    max_bytes: int,
) -> StoredFile:
    """Check an uploaded file by size and content, store it and return its metadata.

    ``allowed`` contains kinds from KIND_LABELS. Nothing is written when a check
    fails, and UploadRejected carries the Chinese message for the form.
    """
    unknown = set(allowed) - KIND_LABELS.keys()
    if unknown:
        raise ValueError(f"unknown file kinds: {sorted(unknown)}")

    data = _read_limited(stream, max_bytes)
    kind = _check_kind(data, allowed)
    return _store_bytes(Path(root), data, kind, original_name)


def store_photo(
    root: Path,
    stream: BinaryIO,
    original_name: str,
    *,
    max_bytes: int,
    max_side: int = 600,
) -> StoredFile:
    """Check a JPEG or PNG photo, shrink it to ``max_side`` pixels, store it as JPEG.

    The EXIF orientation is applied first, so the stored photo is upright. A photo
    that already fits is not enlarged. Transparent areas become white.
    """
    data = _read_limited(stream, max_bytes)
    kind = _check_kind(data, PHOTO_KINDS)
    jpeg = _reencode_photo(data, kind, max_side)
    return _store_bytes(Path(root), jpeg, "jpeg", original_name)


def _reencode_photo(data: bytes, kind: str, max_side: int) -> bytes:
    """Decode the photo, orient and shrink it, and return it encoded as JPEG."""
    too_large = UploadRejected(
        f"图片尺寸过大：像素总数不能超过 {MAX_PHOTO_PIXELS // 10_000} 万，"
        "请缩小后重新上传。"
    )
    formats = ["JPEG"] if kind == "jpeg" else ["PNG"]
    try:
        with Image.open(io.BytesIO(data), formats=formats) as image:
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise too_large

            # For a JPEG, draft() lets the decoder scale down by 1/2, 1/4 or 1/8
            # while decoding, which saves memory on large camera photos.
            image.draft("RGB", (max_side, max_side))
            image.load()
            oriented = ImageOps.exif_transpose(image)
            oriented.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            output = io.BytesIO()
            _flatten_to_rgb(oriented).save(
                output, "JPEG", quality=PHOTO_JPEG_QUALITY, optimize=True
            )
    except UploadRejected:
        raise
    except Image.DecompressionBombError as error:
        logger.info("Rejected photo over Pillow's pixel limit: %s", error)
        raise too_large from None
    except DECODE_ERRORS as error:
        logger.info("Rejected photo that failed to decode as %s: %s", kind, error)
        raise UploadRejected(
            "图片无法解码，文件可能已损坏，请重新导出为 JPG 或 PNG 后上传。"
        ) from None

    return output.getvalue()


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    """Convert to RGB, painting transparent pixels white instead of black."""
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (
        image.mode == "P" and "transparency" in image.info
    )
    if not has_alpha:
        return image.convert("RGB")

    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, PHOTO_BACKGROUND)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _resolve_inside(root: Path, relative_path: str) -> Path:
    """Return the real path of ``relative_path`` below ``root`` or raise ValueError.

    Absolute paths, drive letters, backslashes, ".." parts and symbolic links that
    lead out of the root are rejected.
    """
    if not relative_path or "\0" in relative_path or "\\" in relative_path:
        raise ValueError(f"invalid stored path: {relative_path!r}")

    posix = PurePosixPath(relative_path)
    if posix.is_absolute() or PureWindowsPath(relative_path).drive:
        raise ValueError(f"stored path must be relative: {relative_path!r}")

    if ".." in posix.parts or posix == PurePosixPath("."):
        raise ValueError(f"stored path leaves the storage root: {relative_path!r}")

    real_root = Path(root).resolve()
    resolved = (real_root / posix).resolve()
    if resolved == real_root or not resolved.is_relative_to(real_root):
        raise ValueError(f"stored path leaves the storage root: {relative_path!r}")

    return resolved


def open_stored(root: Path, relative_path: str) -> BinaryIO:
    """Open a stored file for binary reading.

    Raises ValueError for a path that leaves the root and FileNotFoundError for a
    missing file.
    """
    return open(_resolve_inside(root, relative_path), "rb")


def delete_stored(root: Path, relative_path: str) -> None:
    """Delete a stored file and the subfolders that it leaves empty.

    A missing file is not an error, so a repeated clean-up succeeds. Raises
    ValueError for a path that leaves the root.
    """
    path = _resolve_inside(root, relative_path)
    path.unlink(missing_ok=True)
    logger.info("Deleted stored file %s", relative_path)

    real_root = Path(root).resolve()
    folder = path.parent
    while folder != real_root and folder.is_relative_to(real_root):
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent


def content_disposition(original_name: str) -> str:
    """Build a Content-Disposition ``attachment`` value that keeps Chinese names.

    ``filename`` is an ASCII fallback for old clients and ``filename*`` carries the
    UTF-8 name percent-encoded as RFC 5987 requires. Flask's send_file with
    ``download_name`` builds an equivalent value (Werkzeug 3.1), but its ASCII
    fallback is ".pdf" for a name without Latin characters, where this gives
    "download.pdf".
    """
    name = clean_original_name(original_name)
    fallback = _ascii_fallback(name)
    # RFC 5987 attr-char: letters, digits and !#$&+-.^_`|~ stay unencoded.
    encoded = quote(name, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def send_stored(stream: BinaryIO, mimetype: str, original_name: str):
    """Send an opened stored file as a download under its original name."""
    response = send_file(
        stream, mimetype=mimetype, as_attachment=True, download_name=original_name
    )
    response.headers["Content-Disposition"] = content_disposition(original_name)
    return response


def _ascii_fallback(name: str) -> str:
    """Keep the ASCII letters, digits and a few safe marks of ``name``."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii")
    # Quotes and backslashes would end or escape the quoted-string.
    safe = "".join(
        char if char.isalnum() or char in " ._-()" else "_" for char in ascii_only
    )
    stem, dot, extension = safe.strip().rpartition(".")
    if not dot:
        stem, extension = extension, ""

    stem = stem.strip(" .") or "download"
    return stem + dot + extension
