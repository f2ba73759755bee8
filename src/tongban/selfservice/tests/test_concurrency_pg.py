"""Races on PostgreSQL in the 百事通 curation."""

from __future__ import annotations

import pytest
from django.db import connection

from tongban.accounts.tests.factories import AdminFactory, ManagerFactory
from tongban.catalog.models import Synonym
from tongban.core.tests.races import first_holds_second_waits
from tongban.selfservice.services import guide_synonym_add

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency are proven on PostgreSQL (SQLite serialises writers)")


def test_two_curators_adding_the_same_new_term_at_once_get_one_synonym_with_both_words():
    """A new everyday term, added twice at the same moment (a double submit, two curators): both found no row
    and both inserted; the unique term let the first through and the second failed (a 500). The second must
    extend the first's row as it would a moment later."""
    first, second = first_holds_second_waits(
        lambda: guide_synonym_add(actor=AdminFactory(), term="病历本", expansions="门急诊就医记录册"),
        lambda: guide_synonym_add(actor=ManagerFactory(), term="病历本", expansions="医保 门急诊就医记录册"),
    )
    assert isinstance(second, Synonym), second
    assert second.pk == first.pk
    assert list(Synonym.objects.values_list("term", "expansions")) == [("病历本", "门急诊就医记录册 医保")]
