"""百事通 engine: colloquial questions, synonyms, typos, referrals, explanations, PII stripping."""

import pytest

from tongban.catalog.models import Synonym
from tongban.selfservice.guide.text import strip_personal_data
from tongban.selfservice.selectors import guide_search

pytestmark = pytest.mark.django_db


def codes(answer):
    return [h.code for h in answer.results]


def test_colloquial_birth_question_puts_the_birth_bundle_first(catalog):
    answer = guide_search(q="孩子刚出生要办什么")
    assert codes(answer)[0] == "T-B-BIRTH"
    assert answer.results[0].kind == "bundle"
    assert answer.referral is None
    assert answer.confident is True


def test_catalog_synonym_maps_the_everyday_word_and_says_so(catalog):
    answer = guide_search(q="老人病历本用完了")
    assert codes(answer)[0] == "T-BOOKLET"
    assert answer.results[0].why.startswith("“病历本”即“门急诊就医记录册”")


def test_guide_synonyms_field_is_searched(catalog):
    # "暂住证" is only in the residence permit guide's colloquial names
    answer = guide_search(q="暂住证怎么办")
    assert codes(answer)[0] == "T-RESIDENCE"
    assert "俗称含“暂住证”" in answer.results[0].why


def test_homophone_typo_is_repaired_through_pinyin(catalog):
    answer = guide_search(q="居住正怎么办")
    assert codes(answer)[:2] == ["T-RESIDENCE", "T-RES-PICKUP"] or codes(answer)[:2] == [
        "T-RES-PICKUP",
        "T-RESIDENCE",
    ]
    assert "“居住正”应为“居住证”" in answer.results[0].why


def test_typo_in_a_colloquial_word(catalog):
    answer = guide_search(q="病例本换新的")
    assert codes(answer) == ["T-BOOKLET", "T-B-RETIRE"] or codes(answer)[0] == "T-BOOKLET"
    assert "“病例本”应为“病历本”" in answer.results[0].why


def test_out_of_scope_question_gets_the_right_agency_and_why(catalog):
    answer = guide_search(q="护照过期了怎么换")
    assert answer.results == []
    assert answer.referral is not None
    assert (answer.referral.code, answer.referral.phone) == ("exit-entry", "12367")
    assert "护照" in answer.referral.why
    assert answer.confident is True


def test_emergency_wins_over_other_agencies(catalog):
    answer = guide_search(q="钱包被偷了还要补办护照")
    assert (answer.referral.code, answer.referral.phone) == ("emergency-110", "110")


@pytest.fixture
def demo_catalog(db):
    import io

    from tongban.catalog import demo

    demo.load(io.StringIO())


@pytest.mark.parametrize("q", ["我的身份证丢了", "身份证过期了怎么换"])
def test_id_cards_go_to_the_police_station_not_to_matters_that_need_one(demo_catalog, q):
    """Every material list of the demo catalog names 身份证, but replacing one is the police station's
    business: the answer is the referral alone, not five matters that merely need an ID card."""
    answer = guide_search(q=q)
    assert answer.referral.code == "police-household", q
    assert answer.results == [], [h.code for h in answer.results]


def test_a_question_with_more_in_it_keeps_its_catalog_answer(demo_catalog):
    # the ID card is the police's; the residence permit lost with it is the center's
    answer = guide_search(q="身份证丢了怎么补办居住证")
    assert answer.referral.code == "police-household"
    assert "GA-RP-REISSUE" in [h.code for h in answer.results[:3]]
    # a newborn's household registration is part of the center's 出生一件事: its catalog speaks of 报户口,
    # so the center answers, without the referral
    answer = guide_search(q="孩子要报户口")
    assert answer.referral is None
    assert "BD-BIRTH" in [h.code for h in answer.results[:3]]


def test_another_agencys_word_does_not_hide_the_centers_part_of_the_question(demo_catalog):
    """A widow asking about her late husband's housing fund needs 12329 for the fund and the center for
    身后一件事: the referral comes beside the center's matters, not instead of them."""
    answer = guide_search(q="老伴走了，他的公积金能不能取")
    assert answer.referral.code == "housing-fund"
    assert "BD-DEATH" in [h.code for h in answer.results[:3]]
    # a question that is only the fund's still gets the referral alone
    assert guide_search(q="我要提取公积金").results == []


def test_a_matter_that_needs_an_id_card_is_still_found(demo_catalog):
    answer = guide_search(q="办居住证要带身份证吗")
    assert answer.referral is None
    assert answer.results


def test_unknown_question_is_never_met_with_silence(catalog):
    answer = guide_search(q="今天天气怎么样")
    assert answer.results == []
    assert (answer.referral.code, answer.referral.phone) == ("hotline-12345", "12345")
    assert answer.confident is False
    assert answer.unanswered is True


def test_housing_fund_refers_to_12329_even_with_a_weak_catalog_match(catalog):
    answer = guide_search(q="我要提取公积金")
    assert answer.referral.phone == "12329"
    assert answer.results == []


def test_new_synonym_takes_effect_after_invalidation(catalog):
    from tongban.selfservice.guide.corpus import guide_index_invalidate

    assert codes(guide_search(q="添了个娃")) == []
    Synonym.objects.create(term="添了个娃", expansions="出生 新生儿")
    guide_index_invalidate()
    assert codes(guide_search(q="添了个娃"))[0] == "T-B-BIRTH"


def test_fingerprint_notices_catalog_changes_without_invalidation(catalog, settings):
    from tongban.selfservice.guide.corpus import get_index

    before = get_index()
    Synonym.objects.create(term="小宝宝", expansions="新生儿")
    after = get_index()  # GUIDE_INDEX_CHECK_SECONDS = 0 in tests: checks every time
    assert after is not before
    assert after.fingerprint != before.fingerprint
    assert get_index() is after


def test_empty_and_punctuation_only_questions(catalog):
    for q in ["", "   ", "？？！"]:
        answer = guide_search(q=q)
        assert answer.results == []


def test_limit_is_respected_and_bounded(catalog):
    assert len(guide_search(q="居住证 社保卡 医保 出生 退休", limit=2).results) == 2
    assert len(guide_search(q="居住证 社保卡 医保 出生 退休", limit=500).results) <= 20


def test_empty_catalog_still_refers(db):
    answer = guide_search(q="居住证怎么办")
    assert answer.results == []
    assert answer.referral.phone == "12345"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("我叫张三，身份证310110195103070019，居住证在哪领", "我叫＊,身份证＊,居住证在哪领"),
        ("电话13912345678 孩子出生", "电话＊ 孩子出生"),
        ("+86 139-1234-5678 低保", "＊ 低保"),
        ("邮箱 a.b@example.com 护照", "邮箱 ＊ 护照"),
        ("门牌号 25 号 3 室", "门牌号 ＊号 ＊室"),
        ("ｉｄ３１０１１０１９５１０３０７００１Ｘ", "id＊"),
    ],
)
def test_personal_data_is_stripped(raw, clean):
    assert strip_personal_data(raw) == clean
