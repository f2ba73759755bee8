"""English is complete: every app that shows pages ships an English catalogue with nothing left out."""

from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parents[2]
APPS_WITH_PAGES = sorted(p.parent.name for p in SRC.glob("*/templates") if any(p.rglob("*.html")))


def test_every_app_with_pages_is_checked():
    # a guard against the glob silently finding nothing
    assert {"web", "catalog", "applications", "queueing", "selfservice"} <= set(APPS_WITH_PAGES)


@pytest.mark.parametrize("app", APPS_WITH_PAGES)
def test_english_catalogue_is_complete_and_compiled(app):
    po_path = SRC / app / "locale" / "en" / "LC_MESSAGES" / "django.po"
    assert po_path.exists(), f"{app} has pages but no English catalogue ({po_path})"
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [], f"{app}: untranslated {untranslated[:10]}"
    assert fuzzy == [], f"{app}: fuzzy {fuzzy[:10]}"
    mo = polib.mofile(str(po_path.with_suffix(".mo")))
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo}
    stale = [
        e.msgid
        for e in po.translated_entries()
        if not e.msgid_plural and compiled.get((e.msgctxt, e.msgid)) != e.msgstr
    ]
    assert stale == [], f"{app}: the .mo is older than the .po for {stale[:10]}"


def test_a_phrase_reads_the_same_in_every_apps_catalogue():
    """Django merges the apps' catalogues into one, the first app in INSTALLED_APPS winning: a phrase that two
    apps translate differently shows the first app's wording in the other's pages too ("内容" was "Data" in the
    audit log, and so also on the ratings page, where it means the resident's comment). Where a phrase means
    different things, the source gives it a context (``pgettext``, ``{% translate … context … %}``)."""
    wordings: dict[tuple[str | None, str, str], dict[str, str]] = {}
    for po_path in sorted(SRC.glob("*/locale/en/LC_MESSAGES/django.po")):
        for entry in polib.pofile(str(po_path)).translated_entries():
            # a plural entry is a catalogue key of its own (ngettext looks it up with its plural)
            key = (entry.msgctxt, entry.msgid, entry.msgid_plural)
            wording = repr(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else entry.msgstr
            wordings.setdefault(key, {})[po_path.parents[3].name] = wording
    differing = {key: apps for key, apps in wordings.items() if len(set(apps.values())) > 1}
    assert len(wordings) > 500  # the glob found the catalogues
    assert differing == {}
