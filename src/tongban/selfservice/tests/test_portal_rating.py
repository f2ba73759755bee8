"""A resident rates their own finished case (一事一评) through the ratings app's signed link."""

import pytest

from tongban.accounts.tests.factories import ClerkFactory, ResidentFactory
from tongban.applications.services import (
    MaterialTick,
    application_accept,
    application_create,
    application_decide,
    application_submit,
    application_tick_materials,
)
from tongban.catalog.models import Matter
from tongban.catalog.tests.factories import CenterFactory
from tongban.ratings.models import ServiceEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_case(catalog):
    center = CenterFactory(code="C-RATE")
    clerk = ClerkFactory(center=center)
    resident = ResidentFactory(id_number="310110195103070014")
    matter = Matter.objects.get(code="T-ELDERLY")
    (app,) = application_create(
        actor=resident, applicant=resident, center=center, channel="online", matter=matter
    )
    app = application_submit(application=app, actor=resident)
    ticks = [MaterialTick(material_type_id=m.material_type_id) for m in app.materials.all()]
    application_tick_materials(application=app, actor=clerk, ticks=ticks)
    app = application_accept(application=app, actor=clerk)
    return application_decide(application=app, actor=clerk, outcome="approved"), resident


def test_finished_case_offers_rating_and_posts_to_the_signed_link(client, finished_case):
    app, resident = finished_case
    client.force_login(resident)
    assert 'id="case-rate"' in client.get(f"/portal/cases/{app.pk}/").content.decode()
    response = client.post(f"/portal/cases/{app.pk}/", {"action": "rate"})
    assert response.status_code == 302
    assert "/ratings/r/" in response["Location"]
    event = ServiceEvent.objects.get()
    assert (event.application_number, event.rater, event.channel) == (app.number, resident, "online")
    client.post(f"/portal/cases/{app.pk}/", {"action": "rate"})
    assert ServiceEvent.objects.count() == 1  # one event per case, however often the button is pressed


def test_someone_else_cannot_start_the_rating(client, finished_case):
    app, _ = finished_case
    client.force_login(ResidentFactory())
    assert client.post(f"/portal/cases/{app.pk}/", {"action": "rate"}).status_code == 404
    assert ServiceEvent.objects.count() == 0


def test_unfinished_case_has_no_rating(client, catalog):
    resident = ResidentFactory(id_number="310110195103070014")
    (app,) = application_create(
        actor=resident,
        applicant=resident,
        center=CenterFactory(code="C-RATE2"),
        channel="online",
        matter=Matter.objects.get(code="T-ELDERLY"),
    )
    client.force_login(resident)
    assert 'id="case-rate"' not in client.get(f"/portal/cases/{app.pk}/").content.decode()
    client.post(f"/portal/cases/{app.pk}/", {"action": "rate"})
    assert ServiceEvent.objects.count() == 0
