"""Self-service demo data: a few logged 百事通 questions for the review screen; warm the guide index.

Idempotent: questions are keyed by their (already anonymised) text.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from django.utils import timezone

from tongban.selfservice.models import GuideQuestion

log = logging.getLogger(__name__)

QUESTIONS = [
    ("添了个娃要干啥", GuideQuestion.Outcome.LOW_CONFIDENCE, 7),
    ("老房子加装电梯找谁", GuideQuestion.Outcome.UNANSWERED, 4),
    ("我叫＊ 电话＊ 敬老院排队要多久", GuideQuestion.Outcome.UNANSWERED, 2),
    ("老伴的老年卡过期了", GuideQuestion.Outcome.LOW_CONFIDENCE, 3),
]


def load(stdout: Any) -> None:
    now = timezone.now()
    for i, (text, outcome, count) in enumerate(QUESTIONS):
        GuideQuestion.objects.update_or_create(
            text=text,
            defaults={
                "outcome": outcome,
                "count": count,
                "first_seen": now - timedelta(days=7 - i),
                "last_seen": now - timedelta(hours=i * 5),
            },
        )
    stdout.write(f"  selfservice: {len(QUESTIONS)} 百事通 questions to review at /guide/review/\n")


def _warm_guide(stop: threading.Event) -> None:
    """Build the 百事通 index (segmenter dictionary, BM25) before the first resident asks."""
    from django.db import connection

    from tongban.selfservice.guide.corpus import get_index

    try:
        index = get_index()
    except Exception:  # a warm-up failure must not stop the demo; the first search retries
        log.exception("百事通 warm-up failed")
        return
    finally:
        connection.close()  # this thread's own connection
    log.info("百事通 index ready: %s documents", index.documents)


def demo_services() -> list[Any]:
    return [_warm_guide]
