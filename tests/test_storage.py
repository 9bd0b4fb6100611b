"""Tests for evidence and photo storage."""

import hashlib
import io
import re
import struct
import zlib
from urllib.parse import unquote

import pytest
from PIL import Image
from werkzeug.http import parse_options_header

from app.storage import (
    UploadRejected,
    clean_original_name,
    content_disposition,
    delete_stored,
    open_stored,
    sniff_kind,
    store_photo,
    store_upload,
)

ALL_KINDS = {"pdf", "jpeg", "png"}
ONE_MB = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 120
STORED_PATH = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}\.(pdf|jpg|png)")


def all_files(root):
    return sorted(path for path in root.rglob("*"))


def image_bytes(size, mode="RGB", color=(200, 30, 30), image_format="PNG", exif=None):
    image = Image.new(mode, size, color)
    output = io.BytesIO()
    if exif is None:
        image.save(output, image_format)
    else:
        image.save(output, image_format, exif=exif)
    return output.getvalue()


def png_header_only(width, height):
    """Build a PNG that declares its size but contains almost no pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)

    def chunk(kind, data):
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


class TrickleStream(io.RawIOBase):
    """A stream that returns one byte per read, like a slow network upload."""

    def __init__(self, data):
        self.data = data
        self.position = 0

    def readable(self):
        return True

    def read(self, size=-1):
        piece = self.data[self.position : self.position + 1]
        self.position += len(piece)
        return piece


def upload(root, data, name, *, allowed=ALL_KINDS, max_bytes=ONE_MB):
    return store_upload(
        root, io.BytesIO(data), name, allowed=allowed, max_bytes=max_bytes
    )


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "storage"
    folder.mkdir()
    return folder


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, "pdf"),
        (image_bytes((4, 4), image_format="JPEG"), "jpeg"),
        (image_bytes((4, 4)), "png"),
        (ELF, None),
        (MZ, None),
        (b"GIF89a" + b"\x00" * 20, None),
        (b"plain text", None),
        (b"", None),
    ],
)
def test_sniff_kind(data, kind):
    assert sniff_kind(data) == kind


def test_store_pdf_with_chinese_name(root):
    name = "2024年继续教育学时证明.pdf"
    stored = store_upload(
        root, io.BytesIO(PDF), name, allowed=ALL_KINDS, max_bytes=ONE_MB
    )

    assert STORED_PATH.fullmatch(stored.relative_path)
    assert stored.relative_path.endswith(".pdf")
    assert stored.original_name == name
    assert stored.content_type == "application/pdf"
    assert stored.size == len(PDF)
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()

    with open_stored(root, stored.relative_path) as handle:
        assert handle.read() == PDF

    files = [path for path in all_files(root) if path.is_file()]
    assert files == [root / stored.relative_path]


def test_store_names_are_unique(root):
    first = upload(root, PDF, "a.pdf")
    second = upload(root, PDF, "a.pdf")
    assert first.relative_path != second.relative_path


def test_store_extension_from_content(root):
    png = image_bytes((4, 4))
    stored = upload(root, png, "扫描件.pdf")
    assert stored.relative_path.endswith(".png")
    assert stored.content_type == "image/png"


@pytest.mark.parametrize("data", [ELF, MZ, b"just some text\n"])
def test_store_renamed_executable_rejected(root, data):
    with pytest.raises(UploadRejected) as error:
        upload(root, data, "证明.pdf")
    assert "PDF、JPG、PNG" in error.value.message
    assert all_files(root) == []


def test_store_kind_outside_allowed_rejected(root):
    png = image_bytes((4, 4))
    with pytest.raises(UploadRejected) as error:
        upload(root, png, "a.png", allowed={"pdf"})
    assert "只能上传 PDF 格式" in error.value.message
    assert all_files(root) == []


def test_store_unknown_kind_is_programming_error(root):
    with pytest.raises(ValueError, match="unknown file kinds"):
        upload(root, PDF, "a.pdf", allowed={"gif"})


def test_store_oversized_rejected(root):
    data = PDF + b"0" * (2 * ONE_MB)
    with pytest.raises(UploadRejected) as error:
        upload(root, data, "大文件.pdf", max_bytes=2 * ONE_MB)
    assert "2 MB" in error.value.message
    assert all_files(root) == []


def test_store_reads_at_most_limit_plus_one(root):
    stream = io.BytesIO(PDF + b"0" * 5000)
    with pytest.raises(UploadRejected):
        store_upload(root, stream, "a.pdf", allowed=ALL_KINDS, max_bytes=1000)
    assert stream.tell() == 1001


def test_store_exact_limit_accepted(root):
    data = PDF + b"0" * (1000 - len(PDF))
    stored = upload(root, data, "a.pdf", max_bytes=1000)
    assert stored.size == 1000


def test_store_short_reads_assembled(root):
    stream = TrickleStream(PDF)
    stored = store_upload(root, stream, "a.pdf", allowed=ALL_KINDS, max_bytes=ONE_MB)
    with open_stored(root, stored.relative_path) as handle:
        assert handle.read() == PDF


def test_store_short_reads_oversized_rejected(root):
    with pytest.raises(UploadRejected):
        store_upload(root, TrickleStream(PDF), "a.pdf", allowed=ALL_KINDS, max_bytes=10)
    assert all_files(root) == []


def test_store_empty_rejected(root):
    with pytest.raises(UploadRejected) as error:
        upload(root, b"", "空.pdf")
    assert "文件为空" in error.value.message
    assert all_files(root) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("学时证明.pdf", "学时证明.pdf"),
        ("C:\\Users\\张三\\Desktop\\证书.jpg", "证书.jpg"),
        ("../../etc/passwd", "passwd"),
        ("/tmp/报告.pdf", "报告.pdf"),
        ("证明\x00\r\n.pdf", "证明.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("  名单.pdf  ", "名单.pdf"),
        ("", "未命名文件"),
        ("..", "未命名文件"),
        ("folder/", "未命名文件"),
    ],
)
def test_clean_original_name(name, expected):
    assert clean_original_name(name) == expected


def test_clean_original_name_caps_length():
    cleaned = clean_original_name("长" * 300 + ".pdf")
    assert len(cleaned) == 200
    assert cleaned.endswith(".pdf")
    assert len(clean_original_name("长" * 300)) == 200


def test_photo_scaled_down_to_jpeg(root):
    png = image_bytes((1200, 800), mode="RGBA", color=(0, 0, 0, 0))
    stored = store_photo(
        root, io.BytesIO(png), "照片.png", max_bytes=ONE_MB, max_side=600
    )

    assert stored.relative_path.endswith(".jpg")
    assert stored.content_type == "image/jpeg"
    assert stored.original_name == "照片.jpg"
    with open_stored(root, stored.relative_path) as handle:
        data = handle.read()
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()

    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == (600, 400)
        assert image.mode == "RGB"
        # Transparent pixels are painted white, not black.
        assert min(image.getpixel((300, 200))) >= 250


def test_photo_palette_png_converted(root):
    image = Image.new("P", (700, 100), 0)
    image.putpalette([10, 200, 10] * 256)
    output = io.BytesIO()
    image.save(output, "PNG")
    stored = store_photo(root, io.BytesIO(output.getvalue()), "p.png", max_bytes=ONE_MB)
    with Image.open(root / stored.relative_path) as result:
        assert result.size == (600, 86)
        assert result.mode == "RGB"


def test_photo_small_not_enlarged(root):
    jpeg = image_bytes((120, 160), image_format="JPEG")
    stored = store_photo(root, io.BytesIO(jpeg), "小.jpg", max_bytes=ONE_MB)
    with Image.open(root / stored.relative_path) as image:
        assert image.size == (120, 160)


def test_photo_exif_orientation_applied(root):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display.
    jpeg = image_bytes((800, 400), image_format="JPEG", exif=exif)
    stored = store_photo(
        root, io.BytesIO(jpeg), "手机.jpg", max_bytes=ONE_MB, max_side=600
    )
    with Image.open(root / stored.relative_path) as image:
        assert image.size == (300, 600)
        assert image.getexif().get(0x0112) in (None, 1)


def test_photo_corrupt_png_rejected(root):
    corrupt = b"\x89PNG\r\n\x1a\n" + b"this is not an image" * 10
    with pytest.raises(UploadRejected) as error:
        store_photo(root, io.BytesIO(corrupt), "坏.png", max_bytes=ONE_MB)
    assert "无法解码" in error.value.message
    assert all_files(root) == []


def test_photo_truncated_png_rejected(root):
    noisy = Image.effect_noise((400, 400), 64).convert("RGB")
    output = io.BytesIO()
    noisy.save(output, "PNG")
    png = output.getvalue()
    with pytest.raises(UploadRejected) as error:
        store_photo(root, io.BytesIO(png[: len(png) // 2]), "半.png", max_bytes=ONE_MB)
    assert "无法解码" in error.value.message
    assert all_files(root) == []


def test_photo_pdf_rejected(root):
    with pytest.raises(UploadRejected) as error:
        store_photo(root, io.BytesIO(PDF), "照片.jpg", max_bytes=ONE_MB)
    assert "JPG、PNG" in error.value.message
    assert "PDF" not in error.value.message
    assert all_files(root) == []


@pytest.mark.parametrize(
    "size",
    [
        (8000, 8000),  # over MAX_PHOTO_PIXELS, under Pillow's limit
        (20000, 20000),  # over twice Pillow's limit, so Image.open raises
    ],
)
def test_photo_decompression_bomb_rejected(root, size):
    bomb = png_header_only(*size)
    with pytest.raises(UploadRejected) as error:
        store_photo(root, io.BytesIO(bomb), "bomb.png", max_bytes=ONE_MB)
    assert "尺寸过大" in error.value.message
    assert all_files(root) == []


def test_photo_oversized_file_rejected(root):
    png = image_bytes((100, 100))
    with pytest.raises(UploadRejected) as error:
        store_photo(root, io.BytesIO(png), "p.png", max_bytes=100)
    assert "MB" in error.value.message
    assert all_files(root) == []


@pytest.mark.parametrize(
    "path",
    [
        "../outside.pdf",
        "../../etc/passwd",
        "ab/../../outside.pdf",
        "ab/cd/../../../outside.pdf",
        "/etc/passwd",
        "C:/Windows/win.ini",
        "..\\outside.pdf",
        "ab/cd/x\0.pdf",
        "",
        ".",
    ],
)
def test_open_stored_traversal_rejected(root, path):
    (root.parent / "outside.pdf").write_bytes(PDF)
    with pytest.raises(ValueError):
        open_stored(root, path)
    with pytest.raises(ValueError):
        delete_stored(root, path)
    assert (root.parent / "outside.pdf").exists()


def test_open_stored_symlink_out_rejected(root, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret")
    (root / "ab").mkdir()
    (root / "ab" / "link.pdf").symlink_to(secret)
    (root / "cd").symlink_to(tmp_path)

    for path in ["ab/link.pdf", "cd/secret.txt"]:
        with pytest.raises(ValueError):
            open_stored(root, path)
        with pytest.raises(ValueError):
            delete_stored(root, path)
    assert secret.exists()


def test_open_stored_missing_file(root):
    with pytest.raises(FileNotFoundError):
        open_stored(root, "ab/cd/missing.pdf")


def test_delete_stored_removes_file_and_folders(root):
    stored = upload(root, PDF, "a.pdf")
    remaining = upload(root, PDF, "b.pdf")

    delete_stored(root, stored.relative_path)

    assert not (root / stored.relative_path).exists()
    assert (root / remaining.relative_path).exists()
    folder = (root / stored.relative_path).parent
    if folder != (root / remaining.relative_path).parent:
        assert not folder.exists()

    delete_stored(root, remaining.relative_path)
    assert root.exists()
    assert all_files(root) == []


def test_delete_stored_missing_is_noop(root):
    delete_stored(root, "ab/cd/missing.pdf")
    assert all_files(root) == []


def test_content_disposition_chinese_name():
    name = "2024年继续教育学时证明.pdf"
    value = content_disposition(name)

    assert value.startswith("attachment; ")
    assert 'filename="2024.pdf"' in value
    encoded = value.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded, encoding="utf-8") == name
    assert value.isascii()

    # Werkzeug's parser prefers filename* over filename, as browsers do.
    disposition, options = parse_options_header(value)
    assert disposition == "attachment"
    assert options["filename"] == name


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("学时证明.pdf", "download.pdf"),
        ("report 2024.pdf", "report 2024.pdf"),
        ('a"b\\c.pdf', "c.pdf"),
        ('say "hi".pdf', "say _hi_.pdf"),
        ("résumé.pdf", "resume.pdf"),
        ("证明", "download"),
        ("x\r\nSet-Cookie: a=b.pdf", "xSet-Cookie_ a_b.pdf"),
    ],
)
def test_content_disposition_ascii_fallback(name, fallback):
    value = content_disposition(name)
    assert f'filename="{fallback}"' in value
    assert "\r" not in value
    assert "\n" not in value
    assert value.isascii()
