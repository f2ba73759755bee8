"""Attachments: scanned materials and reviewers' files (size and type checked)."""

from __future__ import annotations

import hashlib
import mimetypes

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from tongban.accounts.models import User
from tongban.applications.errors import (
    AttachmentRejected,
    InvalidInput,
)
from tongban.applications.models import (
    Application,
    ApplicationMaterial,
    Attachment,
    Review,
    Status,
)
from tongban.applications.services._core import (
    _MAGIC,
    ALLOWED_UPLOAD_TYPES,
    _check_access,
    _check_state,
    _lock,
)
from tongban.core.audit import audit_log

# --- attachments -------------------------------------------------------------


def _store_attachment(
    app: Application,
    *,
    upload: UploadedFile,
    actor: User,
    material: ApplicationMaterial | None = None,
    review: Review | None = None,
) -> Attachment:
    size = upload.size or 0
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise AttachmentRejected(
            f"文件超过大小限制（{limit // (1024 * 1024)} MB）",
            f"File larger than the limit ({limit // (1024 * 1024)} MB)",
            code="application.attachment_too_large",
            status_code=413,
        )
    data = upload.read()
    content_type = next((ct for ct, magic in _MAGIC.items() if data.startswith(magic)), None)
    declared = upload.content_type or mimetypes.guess_type(upload.name or "")[0]
    allowed = set(settings.UPLOAD_ALLOWED_TYPES)
    if content_type is None or content_type not in allowed or (declared and declared != content_type):
        raise AttachmentRejected(
            "只接受PDF、JPEG、PNG文件",
            "Only PDF, JPEG and PNG files are accepted",
            code="application.attachment_type",
            status_code=415,
            details={"content_type": declared or ""},
        )
    digest = hashlib.sha256(data).hexdigest()
    att = Attachment(
        application=app,
        material=material,
        review=review,
        original_name=(upload.name or "upload")[:200],
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    att.file.save(f"{digest[:16]}{ALLOWED_UPLOAD_TYPES[content_type]}", ContentFile(data), save=False)
    att.save()
    audit_log(
        actor=actor,
        action="applications.attachment.upload",
        obj=att,
        data={"number": app.number, "sha256": digest, "size": len(data)},
    )
    return att


def attachment_upload(
    *,
    application: Application,
    actor: User,
    upload: UploadedFile,
    material: ApplicationMaterial | None = None,
) -> Attachment:
    """A scanned material (PDF/JPEG/PNG, size-limited, type checked by its magic bytes)."""
    with transaction.atomic():
        app = _lock(application)
        _check_access(actor, app, action="upload")
        _check_state(
            app,
            [
                Status.DRAFT,
                Status.SUBMITTED,
                Status.SUPPLEMENT_REQUESTED,
                Status.ACCEPTED,
                Status.UNDER_REVIEW,
            ],
        )
        if material is not None and material.application_id != app.pk:
            raise InvalidInput(details={"material_id": material.pk})
        return _store_attachment(app, upload=upload, actor=actor, material=material)
