"""The /guide/ page and the catalog team's review screen."""

import pytest

from tongban.accounts.tests.factories import AdminFactory, ClerkFactory, ManagerFactory, ResidentFactory
from tongban.catalog.models import Synonym
from tongban.core.models import AuditEntry
from tongban.selfservice.models import GuideQuestion

pytestmark = pytest.mark.django_db


def test_guide_page_answers_with_why_and_next_steps(client, catalog):
    response = client.get("/guide/", {"q": "老人病历本用完了"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "退休人员门急诊就医记录册调换" in html
    assert "“病历本”即“门急诊就医记录册”" in html
    assert "/portal/matters/T-BOOKLET/" in html
    assert "/portal/apply/T-BOOKLET/" not in html  # not online: no apply button
    # the catalog's internal code is a link's business, not a line for the resident to read
    assert ">T-BOOKLET<" not in html


def test_guide_page_htmx_returns_the_fragment(client, catalog):
    response = client.get("/guide/", {"q": "护照"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "12367" in html


def test_guide_page_empty(client, catalog):
    response = client.get("/guide/")
    assert response.status_code == 200
    assert "孩子刚出生要办什么" in response.content.decode()  # example chips


def _weak_question():
    from tongban.selfservice.selectors import guide_search
    from tongban.selfservice.services import guide_question_record

    q = "添了个娃要干啥"
    return guide_question_record(question=q, answer=guide_search(q=q))


def test_review_screen_lists_open_questions_for_managers(client, catalog):
    question = _weak_question()
    client.force_login(ManagerFactory())
    html = client.get("/guide/review/").content.decode()
    assert question.text in html


@pytest.mark.parametrize("factory", [ResidentFactory, ClerkFactory])
def test_review_screen_is_forbidden_to_others(client, catalog, factory):
    _weak_question()
    client.force_login(factory())
    assert client.get("/guide/review/").status_code == 403
    response = client.post("/guide/review/synonym", {"term": "添了个娃", "expansions": "出生"})
    assert response.status_code == 403
    assert not Synonym.objects.filter(term="添了个娃").exists()


def test_review_screen_needs_login(client, catalog):
    assert client.get("/guide/review/").status_code == 302


def test_adding_a_synonym_resolves_the_question_and_changes_the_answer(
    client, catalog, django_capture_on_commit_callbacks
):
    question = _weak_question()
    admin = AdminFactory()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/guide/review/synonym",
            {"term": "添了个娃", "expansions": "出生 新生儿", "question_id": question.pk},
        )
    assert response.status_code == 302
    assert Synonym.objects.get(term="添了个娃").expansions == "出生 新生儿"
    question.refresh_from_db()
    assert (question.status, question.resolved_by, question.resolution) == (
        "resolved",
        admin,
        "同义词 添了个娃 → 出生 新生儿",
    )
    assert AuditEntry.objects.filter(action="selfservice.synonym.add").count() == 1
    assert AuditEntry.objects.filter(action="selfservice.guide_question.resolved").count() == 1
    html = client.get("/guide/", {"q": "添了个娃要干啥"}).content.decode()
    assert "出生一件事" in html


def test_extending_an_existing_synonym_merges_words(catalog):
    from tongban.selfservice.services import guide_synonym_add

    guide_synonym_add(actor=AdminFactory(), term="病历本", expansions="医保 门急诊就医记录册")
    assert Synonym.objects.get(term="病历本").expansions == "门急诊就医记录册 就医记录册 医保"


def test_invalid_synonym_is_refused(client, catalog):
    client.force_login(AdminFactory())
    client.post("/guide/review/synonym", {"term": "x", "expansions": "出生"})
    client.post("/guide/review/synonym", {"term": "添了个娃", "expansions": "  "})
    assert not Synonym.objects.filter(term__in=["x", "添了个娃"]).exists()


def test_dismiss(client, catalog):
    question = _weak_question()
    client.force_login(ManagerFactory())
    client.post(f"/guide/review/{question.pk}/dismiss")
    question.refresh_from_db()
    assert question.status == GuideQuestion.Status.DISMISSED
    assert client.post("/guide/review/999999/dismiss").status_code == 302  # message, no crash


def test_guide_page_and_referral_in_english(client, catalog, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/guide/", {"q": "护照过期了怎么换"}).content.decode()
    assert (
        "For this, contact: Exit and entry administration (National Immigration Administration hotline)"
        in html
    )
    assert "Passports, travel permits to Hong Kong, Macao and Taiwan" in html
