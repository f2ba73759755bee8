"""Self-service writes: the 百事通's question log and synonyms, the kiosk's guarded progress lookup."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.catalog.models import Synonym
from tongban.core.audit import audit_log
from tongban.core.errors import (
    Forbidden,
    InvalidTransition,
    NotFound,
    RateLimited,
    TongbanError,
    Unavailable,
    ValidationError,
)
from tongban.selfservice.guide.corpus import guide_index_invalidate
from tongban.selfservice.guide.engine import Answer
from tongban.selfservice.guide.text import normalise, split_words, strip_personal_data
from tongban.selfservice.integrations import optional
from tongban.selfservice.models import GuideQuestion
from tongban.selfservice.uploads import validate_upload

GUIDE_CURATOR_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def guide_question_record(*, question: str, answer: Answer) -> GuideQuestion | None:
    """Count an unanswered or low-confidence question, stripped of personal data. Confident ones are not kept.

    Not audited: it is an anonymous usage statistic, not a change to anyone's case.
    """
    if answer.confident or not answer.question:
        return None
    text = strip_personal_data(normalise(question))
    if not text.strip("＊ "):
        return None
    outcome = GuideQuestion.Outcome.UNANSWERED if answer.unanswered else GuideQuestion.Outcome.LOW_CONFIDENCE
    top = answer.results[0] if answer.results else None
    now = timezone.now()
    values = {
        "outcome": outcome,
        "last_seen": now,
        "top_code": top.code if top else "",
        "top_name": (top.name if top else "")[:200],
        "referral_code": answer.referral.code if answer.referral else "",
    }
    with transaction.atomic():
        updated = GuideQuestion.objects.filter(text=text).update(count=F("count") + 1, **values)
        if not updated and GuideQuestion.objects.filter(status=GuideQuestion.Status.OPEN).count() >= int(
            getattr(settings, "GUIDE_QUESTION_LOG_MAX_OPEN", 10_000)
        ):
            return None  # the review queue is full: keep counting known questions, add no new ones
        if not updated:
            try:
                with transaction.atomic():
                    GuideQuestion.objects.create(text=text, first_seen=now, **values)
            except IntegrityError:  # someone asked the same a moment ago
                GuideQuestion.objects.filter(text=text).update(count=F("count") + 1, **values)
    return GuideQuestion.objects.get(text=text)


def _check_curator(actor: User) -> None:
    if not actor.is_authenticated or actor.role not in GUIDE_CURATOR_ROLES:
        raise Forbidden(
            "只有管理员和中心负责人可以维护同义词", "Only admins and center managers maintain synonyms"
        )


def _synonym_locked_or_new(term: str, words: list[str]) -> tuple[Synonym, bool]:
    """The term's synonym row, locked, and False; or the row inserted for a new term, and True. When a curator
    added the same new term a moment ago (a double submit), the insert fails on the unique term and theirs is
    returned, locked, so the words are merged into it instead of a 500."""
    synonym = Synonym.objects.select_for_update().filter(term=term).first()
    if synonym is not None:
        return synonym, False
    try:
        with transaction.atomic():
            return Synonym.objects.create(term=term, expansions=" ".join(dict.fromkeys(words))[:300]), True
    except IntegrityError:
        return Synonym.objects.select_for_update().get(term=term), False


def guide_synonym_add(*, actor: User, term: str, expansions: str, question_id: int | None = None) -> Synonym:
    """Add (or extend) a catalog synonym from the question log and close the question. Rebuilds the index."""
    _check_curator(actor)
    term = normalise(term)
    words = split_words(normalise(expansions))
    if not 2 <= len(term) <= 60:
        raise ValidationError(
            "口语说法应为2至60个字",
            "The colloquial term must be 2 to 60 characters",
            code="guide.synonym_invalid",
        )
    if not words:
        raise ValidationError(
            "请至少填写一个对应的规范词", "Give at least one catalog word", code="guide.synonym_invalid"
        )
    with transaction.atomic():
        synonym, created = _synonym_locked_or_new(term, words)
        if not created:
            merged = dict.fromkeys([*split_words(synonym.expansions), *words])
            synonym.expansions = " ".join(merged)[:300]
            synonym.save(update_fields=["expansions"])
        audit_log(
            actor=actor,
            action="selfservice.synonym.add",
            obj=synonym,
            data={"term": term, "expansions": words},
        )
        if question_id is not None:
            _question_close(
                actor=actor,
                question_id=question_id,
                status=GuideQuestion.Status.RESOLVED,
                resolution=f"同义词 {term} → {' '.join(words)}",
            )
        transaction.on_commit(guide_index_invalidate)
    return synonym


def guide_question_dismiss(*, actor: User, question_id: int) -> GuideQuestion:
    _check_curator(actor)
    with transaction.atomic():
        return _question_close(
            actor=actor, question_id=question_id, status=GuideQuestion.Status.DISMISSED, resolution="忽略"
        )


def _question_close(*, actor: User, question_id: int, status: str, resolution: str) -> GuideQuestion:
    question = GuideQuestion.objects.select_for_update().filter(pk=question_id).first()
    if question is None:
        raise NotFound("问题记录不存在", "Question not found")
    question.status = status
    question.resolved_by = actor
    question.resolved_at = timezone.now()
    question.resolution = resolution[:300]
    question.save(update_fields=["status", "resolved_by", "resolved_at", "resolution"])
    audit_log(
        actor=actor,
        action=f"selfservice.guide_question.{status}",
        obj=question,
        data={"resolution": resolution},
    )
    return question


# --- kiosk: progress lookup, attempt-limited ------------------------------------------------------------

KIOSK_FAILS_PER_NUMBER = 5  # wrong last-4 guesses on one receipt number...
KIOSK_FAILS_PER_CLIENT = 10  # ...or any lookups failing from one terminal/session...
KIOSK_FAIL_WINDOW = 15 * 60  # ...within this many seconds lock that number/terminal for the rest of it
_NUMBER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{5,63}")


def _fail_key(kind: str, value: str) -> str:
    return "selfservice:kiosk-fail:" + kind + ":" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def extract_receipt_number(raw: str) -> str:
    """The receipt number from what was typed or scanned (a QR may carry a URL or 'number=...')."""
    raw = (raw or "").strip()
    if "number=" in raw:
        raw = raw.split("number=", 1)[1].split("&", 1)[0]
    elif "/" in raw:
        raw = [p for p in raw.split("/") if p][-1] if raw.strip("/") else ""
    match = _NUMBER_RE.search(raw.upper())
    return match.group(0) if match else ""


def kiosk_progress_lookup(*, number: str, id_last4: str, client_key: str) -> Any:
    """The public progress of one case by receipt number + last four of the ID, with a guess limit.

    Returns the applications app's ``Progress``. Every answer for a wrong pair is
    the same NotFound; after too many failures for a number or a terminal the
    lookup is refused (429) for the rest of the window, so the last four digits
    cannot be guessed.
    """
    progress_of = optional("tongban.applications.selectors", "application_progress")
    if progress_of is None:
        raise Unavailable("进度查询暂未开放", "Progress lookup is not available yet")
    number = extract_receipt_number(number)
    last4 = (id_last4 or "").strip().upper()
    number_key, client_key_ = _fail_key("n", number), _fail_key("c", client_key)
    for key, limit in ((number_key, KIOSK_FAILS_PER_NUMBER), (client_key_, KIOSK_FAILS_PER_CLIENT)):
        if int(cache.get(key, 0)) >= limit:
            raise RateLimited(
                "尝试次数过多，请15分钟后再试，或到咨询台查询",
                "Too many attempts; try again in 15 minutes or ask at the desk",
                code="selfservice.progress_locked",
                retry_after=KIOSK_FAIL_WINDOW,
            )
    if not number or not re.fullmatch(r"[0-9X]{4}", last4):
        raise ValidationError(
            "请输入受理编号和证件号码后四位",
            "Enter the receipt number and the last 4 of the ID",
            code="selfservice.progress_input",
        )
    try:
        progress = progress_of(number=number, id_last4=last4)
    except TongbanError as exc:
        if exc.status_code != 404:
            raise
        for key in (number_key, client_key_):
            cache.add(key, 0, KIOSK_FAIL_WINDOW)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, KIOSK_FAIL_WINDOW)
        raise NotFound(
            "未找到办件，请核对受理编号和证件号后四位",
            "No matching application; check the number and the last 4 digits",
            code="selfservice.progress_not_found",
        ) from exc
    with transaction.atomic():
        audit_log(
            action="selfservice.kiosk.progress_lookup",
            object_type="applications.application",
            object_id=number,
            data={"terminal": client_key_[-12:]},
        )
    return progress


# --- portal: apply online, answer a supplement request ---------------------------------------------------


def _applications_service(name: str) -> Any:
    fn = optional("tongban.applications.services", name)
    if fn is None:
        raise Unavailable("网上办理暂未开放", "Online applications are not available yet")
    return fn


def _materials_by_type(application: Any) -> dict[int, Any]:
    return {row.material_type_id: row for row in application.materials.all()}


def portal_apply(
    *,
    actor: User,
    center: Any,
    matter: Any = None,
    bundle: Any = None,
    delivery: str,
    delivery_address: str = "",
    uploads: dict[int, UploadedFile],
    submit: bool,
) -> list[Any]:
    """Apply online for a matter or a bundle: a draft (channel "online") with the uploaded scans, submitted if asked.

    Each upload is checked here first (size, magic bytes; :mod:`tongban.selfservice.uploads`) and stored by the
    applications app against the checklist row of its material type; for a bundle a shared material is uploaded
    once and attached to every part that needs it. All in one transaction: a rejected file leaves no draft.
    """
    for upload in uploads.values():
        validate_upload(upload)
    create = _applications_service("application_create")
    attach = _applications_service("attachment_upload")
    submit_fn = _applications_service("application_submit")
    with transaction.atomic():
        created = create(
            actor=actor,
            applicant=actor,
            center=center,
            channel="online",
            matter=matter,
            bundle=bundle,
            delivery=delivery,
            delivery_address=delivery_address,
        )
        _attach_uploads(actor=actor, applications=created, uploads=uploads, attach=attach)
        if submit:
            created = [submit_fn(application=app, actor=actor) for app in created]
    return created


def _attach_uploads(
    *, actor: User, applications: list[Any], uploads: dict[int, UploadedFile], attach: Any
) -> None:
    for app in applications:
        rows = _materials_by_type(app)
        for type_id, upload in uploads.items():
            row = rows.get(type_id)
            if row is None:
                continue
            upload.seek(0)
            attach(application=app, actor=actor, upload=upload, material=row)


def portal_case_action(
    *, actor: User, application: Any, action: str, uploads: dict[int, UploadedFile]
) -> Any:
    """What a resident can do on their own case page: upload scans (draft or supplement), submit a draft."""
    if application.applicant_id != actor.pk:
        raise NotFound("办件不存在", "Application not found")
    if action not in ("upload", "submit"):
        raise ValidationError("未知操作", "Unknown action", code="selfservice.unknown_action")
    for upload in uploads.values():
        validate_upload(upload)
    if action == "upload" and not uploads:
        raise ValidationError(
            "请选择要上传的文件", "Choose a file to upload", code="selfservice.upload_missing"
        )
    attach = _applications_service("attachment_upload")
    with transaction.atomic():
        _attach_uploads(actor=actor, applications=[application], uploads=uploads, attach=attach)
        if action == "submit":
            # as on the apply form: a submission brings every required material, and is told which are missing
            missing = list(  # one query, not one per checklist row
                application.materials.filter(required=True, attachments=None)
                .order_by("order", "id")
                .values_list("name", flat=True)
            )
            if missing:
                raise ValidationError(
                    f"还缺 {len(missing)} 项必需材料：{'、'.join(missing)}。请上传后再提交。",
                    f"{len(missing)} required material(s) missing: {', '.join(missing)}. Upload them, then submit.",
                    code="selfservice.materials_missing",
                    details={"missing": missing},
                )
            return _applications_service("application_submit")(application=application, actor=actor)
    return application


def portal_rating_link(*, actor: User, application: Any) -> str:
    """The signed 一事一评 link for the applicant's own finished case (the ratings app records the event once)."""
    if application.applicant_id != actor.pk:
        raise NotFound("办件不存在", "Application not found")
    if application.status not in ("decided", "ready", "delivered", "closed"):
        raise InvalidTransition("办结后才能评价", "A case can be rated once it is finished")
    record = optional("tongban.ratings.services", "service_event_for_application")
    link = optional("tongban.ratings.services", "rating_link_url")
    if record is None or link is None:
        raise Unavailable("网上评价暂未开放", "Online rating is not available yet")
    event = record(application=application, send_link=False)
    return str(link(event=event))
