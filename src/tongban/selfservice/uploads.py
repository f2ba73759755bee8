"""Upload checks for the portal: size from settings, type from the file's first bytes (not its name)."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from tongban.core.errors import ValidationError

MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}


class UploadRejected(ValidationError):
    code = "selfservice.upload_rejected"
    message = "文件不符合要求"
    message_en = "The file was not accepted"


def sniff(head: bytes) -> str | None:
    for content_type, signatures in MAGIC.items():
        if any(head.startswith(sig) for sig in signatures):
            return content_type
    return None


def validate_upload(upload: UploadedFile) -> str:
    """Return the real content type, or raise :class:`UploadRejected` with a message for the resident."""
    limit = int(settings.UPLOAD_MAX_BYTES)
    size = upload.size or 0
    if size == 0:
        raise UploadRejected("文件是空的", "The file is empty", code="selfservice.upload_empty")
    if size > limit:
        raise UploadRejected(
            f"文件超过 {limit // (1024 * 1024)} MB，请压缩后再上传",
            f"The file is larger than {limit // (1024 * 1024)} MB",
            code="selfservice.upload_too_large",
            details={"max_bytes": limit},
            status_code=413,
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    allowed = set(settings.UPLOAD_ALLOWED_TYPES)
    content_type = sniff(head)
    suffix = PurePath(upload.name or "").suffix.lower()
    if content_type is None or content_type not in allowed or suffix not in EXTENSIONS.get(content_type, ()):
        raise UploadRejected(
            "只能上传 PDF、JPG 或 PNG 文件，且扩展名须与内容一致",
            "Only PDF, JPG or PNG files whose extension matches their content",
            code="selfservice.upload_type",
            details={"name": (upload.name or "")[:100]},
            status_code=415,
        )
    return content_type
