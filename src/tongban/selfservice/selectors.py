"""Self-service reads: the 百事通's answers and its question log."""

from __future__ import annotations

from django.db.models import QuerySet

from tongban.selfservice.guide.engine import Answer, answer
from tongban.selfservice.models import GuideQuestion

GUIDE_MAX_LIMIT = 20


def guide_search(*, q: str, limit: int = 5) -> Answer:
    """Answer a resident's question: matching matters/bundles best first, and a referral when it is elsewhere."""
    return answer(q, limit=max(1, min(limit, GUIDE_MAX_LIMIT)))


def guide_question_list(*, status: str = GuideQuestion.Status.OPEN) -> QuerySet[GuideQuestion]:
    return GuideQuestion.objects.filter(status=status).order_by("-count", "-last_seen")
