"""Portal upload checks: size from settings, type from magic bytes, extension must agree."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.selfservice.uploads import UploadRejected, validate_upload

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("a.pdf", PDF, "application/pdf"),
        ("b.PNG", PNG, "image/png"),
        ("c.jpeg", JPEG, "image/jpeg"),
        ("d.jpg", JPEG, "image/jpeg"),
    ],
)
def test_accepted(name, data, content_type):
    assert (
        validate_upload(SimpleUploadedFile(name, data, content_type="application/octet-stream"))
        == content_type
    )


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("evil.pdf", b"MZ\x90\x00 this is an exe", "selfservice.upload_type"),  # extension lies
        ("scan.png", PDF, "selfservice.upload_type"),  # content and extension disagree
        ("page.html", b"<html><script>", "selfservice.upload_type"),
        ("empty.pdf", b"", "selfservice.upload_empty"),
    ],
)
def test_rejected(name, data, code):
    with pytest.raises(UploadRejected) as exc:
        validate_upload(SimpleUploadedFile(name, data, content_type="application/pdf"))
    assert exc.value.code == code


def test_size_limit_from_settings(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    with pytest.raises(UploadRejected) as exc:
        validate_upload(SimpleUploadedFile("big.pdf", PDF + b"0" * 1024))
    assert exc.value.code == "selfservice.upload_too_large"
    assert exc.value.details == {"max_bytes": 1024}
    assert validate_upload(SimpleUploadedFile("ok.pdf", PDF)) == "application/pdf"


def test_allowed_types_from_settings(settings):
    settings.UPLOAD_ALLOWED_TYPES = ["application/pdf"]
    with pytest.raises(UploadRejected):
        validate_upload(SimpleUploadedFile("b.png", PNG))
