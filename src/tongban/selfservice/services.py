"""Self-service writes: the 百事通's question log and the synonyms added from it."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.catalog.models import Synonym
from tongban.core.audit import audit_log
from tongban.core.errors import Forbidden, NotFound, ValidationError
from tongban.selfservice.guide.corpus import guide_index_invalidate
from tongban.selfservice.guide.engine import Answer
from tongban.selfservice.guide.text import normalise, split_words, strip_personal_data
from tongban.selfservice.models import GuideQuestion

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
        synonym = Synonym.objects.select_for_update().filter(term=term).first()
        if synonym is None:
            synonym = Synonym.objects.create(term=term, expansions=" ".join(dict.fromkeys(words))[:300])
        else:
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
