"""The 百事通's quality gate: top-3 ≥ 90 % on the labelled questions against the demo catalog."""

import io
from pathlib import Path

import pytest
import yaml

from tongban.selfservice.selectors import guide_search

QUESTIONS = Path(__file__).resolve().parents[4] / "bench" / "guide" / "questions.yaml"


@pytest.fixture
def demo_catalog(db):
    from tongban.catalog import demo

    demo.load(io.StringIO())


def test_labelled_set_is_big_enough_and_names_real_codes(demo_catalog):
    from tongban.catalog.models import Bundle, Matter
    from tongban.selfservice.guide.referrals import referrals

    questions = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    assert len(questions) >= 80
    codes = set(Matter.objects.values_list("code", flat=True)) | set(
        Bundle.objects.values_list("code", flat=True)
    )
    agencies = {r.code for r in referrals()}
    for item in questions:
        assert set(item.get("answers", [])) <= codes, item
        assert item.get("referral", "hotline-12345") in agencies, item


def test_top3_accuracy_at_least_90_percent_and_every_referral_right(demo_catalog):
    questions = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    catalog_items = [q for q in questions if "answers" in q]
    referral_items = [q for q in questions if "referral" in q]
    top3 = 0
    for item in catalog_items:
        codes = [h.code for h in guide_search(q=item["q"]).results[:3]]
        top3 += bool(set(item["answers"]) & set(codes))
    wrong_referrals = [
        (item["q"], getattr(guide_search(q=item["q"]).referral, "code", None))
        for item in referral_items
        if getattr(guide_search(q=item["q"]).referral, "code", None) != item["referral"]
    ]
    assert top3 / len(catalog_items) >= 0.90, f"top-3 {top3}/{len(catalog_items)}"
    assert wrong_referrals == []
