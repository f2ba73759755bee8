"""Per-process cache of the catalog rows every intake reads (the matter, its guide, the center) and
of the codes and names every case list shows.

A one-step intake used to read the matter (with its department and current guide version), the
center, the guide's material list and the matter's review departments on every request: four of its
statements and a fifth of its CPU, for rows that change a few times a year.

* **Published guide versions** (:func:`published_guide`), with their material lists, are kept by
  primary key for the life of the process: a published :class:`GuideVersion` is never edited —
  :func:`~tongban.catalog.services.guide_publish` writes version n + 1, the admin shows versions and
  their materials read-only, nothing updates or deletes them — so a version once read stays true.
* **Matters** by code (:func:`intake_matter`: department, current version as above, review
  departments) and **centers** by pk and code (:func:`center_by_pk`, :func:`center_by_code`) do
  change (admin, catalog import, publishing). They are kept for at most ``CATALOG_TTL_SECONDS``, and
  the process that changes one drops the whole cache at once and again at commit (:func:`invalidate`:
  signals on save/delete of Matter, Department, Center, GuideVersion, Material and on changes of a
  matter's review departments; the catalog services call it where they write with ``update()`` or
  ``bulk_update()``, which send no signals). Other processes see the change within the TTL — e.g. a
  matter taken out of service (在办 off) still accepts intakes there for up to 30 s.

Everything returned is shared between requests and threads: read it, never change or save it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model, signals

from tongban.core.cache import ConfigCache

from .models import Center, Department, GuideVersion, Material, Matter

CATALOG_TTL_SECONDS = 30.0
MAX_GUIDES = 5000  # published versions kept per process (then the cache starts over)

_catalog = ConfigCache(CATALOG_TTL_SECONDS)
_guides: dict[int, GuideVersion] = {}


def _prefetched(obj: Model, name: str, items: list[Any]) -> None:
    """Fill ``obj``'s prefetch cache for relation ``name``, as ``prefetch_related`` would."""
    qs = getattr(obj, name).all()
    qs._result_cache = items
    qs._prefetch_done = True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = qs


def published_guide(pk: int) -> GuideVersion:
    """The published guide version ``pk`` with ``materials.all()`` answered from memory (in
    ``order``, then id); raises ``GuideVersion.DoesNotExist``. Cached for the life of the process."""
    found = _guides.get(pk)
    if found is None:
        found = GuideVersion.objects.get(pk=pk)
        _prefetched(found, "materials", list(Material.objects.filter(guide_id=pk).order_by("order", "id")))
        if len(_guides) >= MAX_GUIDES:
            _guides.clear()
        _guides[pk] = found
    return found


def intake_matter(code: str) -> Matter | None:
    """The matter ``code`` as intake needs it — ``department``, ``current_version`` (see
    :func:`published_guide`) and ``review_departments.all()`` answered from memory — or None."""

    def load() -> Matter | None:
        matter = Matter.objects.select_related("department").filter(code=code).first()
        if matter is None:
            return None
        if matter.current_version_id is not None:
            matter.current_version = published_guide(matter.current_version_id)
        _prefetched(matter, "review_departments", list(matter.review_departments.order_by("code")))
        return matter

    return _catalog.get(("matter", code), load, cache_none=False)


def center_by_pk(pk: int) -> Center | None:
    return _catalog.get(("center", pk), lambda: Center.objects.filter(pk=pk).first(), cache_none=False)


def center_by_code(code: str) -> Center | None:
    return _catalog.get(
        ("center-code", code), lambda: Center.objects.filter(code=code).first(), cache_none=False
    )


# pk -> {"code": …, "name": …} of every matter (in code order), center and department
Labels = dict[str, dict[int, dict[str, str]]]


def catalog_labels(*, refresh: bool = False) -> Labels:
    """The code and name of every matter, center and department, by pk: what a case list shows of
    them, so its statement needs no joins (three joins were most of PostgreSQL's work on a page).
    Kept like the other changing rows — at most ``CATALOG_TTL_SECONDS``, dropped at once in the
    process that changes one — so a renamed matter shows its old name in other processes for up to
    30 s. ``refresh`` reads the rows again now: for a case whose matter, center or department is
    newer than the snapshot. One statement."""
    key = ("labels",)
    if refresh:
        _catalog.forget(key)
    return _catalog.get(key, _load_labels)


def _load_labels() -> Labels:
    from django.db import connection

    labels: Labels = {"matter": {}, "center": {}, "department": {}}
    parts = [
        f"SELECT '{kind}', id, code, name FROM {model._meta.db_table}"  # noqa: S608 - our tables
        for kind, model in (("matter", Matter), ("center", Center), ("department", Department))
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts) + " ORDER BY 1, 3")
        for kind, pk, code, name in cursor.fetchall():
            labels[kind][pk] = {"code": code, "name": name}
    return labels


def matters_named(text: str, *, limit: int = 50) -> list[int]:
    """``Matter.objects.filter(name__contains=text).values_list("id")[:limit]`` (in code order, the
    matters' default), from :func:`catalog_labels`. SQLite's ``LIKE`` ignores the case of ASCII
    letters; so does this there."""
    from django.db import connection

    fold = connection.vendor == "sqlite"
    needle = _ascii_lower(text) if fold else text
    found = []
    for pk, matter in catalog_labels()["matter"].items():
        if needle in (_ascii_lower(matter["name"]) if fold else matter["name"]):
            found.append(pk)
            if len(found) == limit:
                break
    return found


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def _clear() -> None:
    _catalog.clear()
    _guides.clear()


def invalidate() -> None:
    """Drop every cached row now and again when the current transaction commits (a request reading
    in between would otherwise cache the rows as they were before the change)."""
    _clear()
    transaction.on_commit(_clear)


def _on_change(sender: Any, **kwargs: Any) -> None:
    invalidate()


def connect_signals() -> None:
    """Called by the catalog app's ``ready()``."""
    for model in (Matter, Department, Center, GuideVersion, Material):
        uid = f"catalog.cache.{model.__name__}"
        signals.post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}.save")
        signals.post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}.delete")
    signals.m2m_changed.connect(
        _on_change, sender=Matter.review_departments.through, dispatch_uid="catalog.cache.review_departments"
    )
