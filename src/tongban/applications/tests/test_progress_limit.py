"""The public progress look-up is limited per client, not per proxy."""

import pytest
from django.core.cache import cache

from tongban.applications.services.progress import PROGRESS_LOOKUPS_PER_MINUTE

URL = "/api/v1/applications/progress"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def lookup(client, forwarded_for):
    return client.get(
        URL,
        {"number": "YP-CBXC-20261126-9999", "id_last4": "0014"},
        REMOTE_ADDR="10.0.0.2",  # nginx on the private network (docs/deploy.md)
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
def test_a_guessing_client_is_stopped_with_429_and_retry_after(client):
    for _ in range(PROGRESS_LOOKUPS_PER_MINUTE):
        assert lookup(client, "203.0.113.7").status_code == 404
    response = lookup(client, "203.0.113.7")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json()["error"]["message"] == "查询过于频繁，请稍后再试"


@pytest.mark.django_db
def test_other_residents_behind_the_same_proxy_are_not_locked_out(client):
    for _ in range(PROGRESS_LOOKUPS_PER_MINUTE + 1):
        lookup(client, "203.0.113.7")
    assert lookup(client, "198.51.100.23").status_code == 404


@pytest.mark.django_db
def test_the_page_says_so_too(client):
    for _ in range(PROGRESS_LOOKUPS_PER_MINUTE):
        client.get(
            "/cases/progress/",
            {"number": "X-1", "id_last4": "0014"},
            HTTP_X_FORWARDED_FOR="203.0.113.9",
            REMOTE_ADDR="10.0.0.2",
        )
    page = client.get(
        "/cases/progress/",
        {"number": "X-1", "id_last4": "0014"},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        REMOTE_ADDR="10.0.0.2",
    )
    assert "查询过于频繁，请稍后再试" in page.content.decode()
