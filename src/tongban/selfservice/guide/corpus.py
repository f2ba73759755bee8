"""The catalog snapshot the 百事通 searches, built once per process and rebuilt when the catalog changes.

The index is held in memory. Each search checks, at most every
``GUIDE_INDEX_CHECK_SECONDS`` (default 30 s), a cheap fingerprint of the
catalog (counts, highest ids, current guide versions, the synonym table) and
rebuilds when it moved; every ``GUIDE_INDEX_MAX_AGE`` seconds (default 600) it
rebuilds regardless, to catch in-place edits the fingerprint cannot see.
``guide_index_invalidate()`` forces a rebuild (the synonym review screen calls it).
"""

from __future__ import annotations

import hashlib
import importlib
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Prefetch, Q, Sum

from tongban.catalog.models import Bundle, BundleItem, Material, Matter, Synonym
from tongban.selfservice.guide.base import Document, SearchBackend
from tongban.selfservice.guide.text import Analyzer, add_words, split_words, tokens


@dataclass(frozen=True)
class GuideIndex:
    analyzer: Analyzer
    backend: SearchBackend
    fingerprint: str
    built_at: float
    documents: int


def catalog_fingerprint() -> str:
    m = Matter.objects.aggregate(
        n=Count("id"), a=Count("id", filter=Q(active=True)), top=Max("id"), v=Sum("current_version_id")
    )
    b = Bundle.objects.aggregate(n=Count("id"), a=Count("id", filter=Q(active=True)), top=Max("id"))
    items = BundleItem.objects.count()
    syn = list(Synonym.objects.order_by("id").values_list("id", "term", "expansions"))
    raw = repr((sorted(m.items()), sorted(b.items()), items, syn))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def build_documents() -> tuple[list[Document], dict[str, str], set[str]]:
    """Flatten the live catalog: (documents, synonym table, words to teach the segmenter)."""
    matters = (
        Matter.objects.filter(active=True, current_version__isnull=False)
        .select_related("current_version", "department")
        .prefetch_related(
            Prefetch("current_version__materials", queryset=Material.objects.order_by("order", "id"))
        )
        .order_by("code")
    )
    documents: list[Document] = []
    words: set[str] = set()
    for matter in matters:
        guide = matter.current_version
        assert guide is not None
        materials = [m.name for m in guide.materials.all()]
        documents.append(
            Document(
                kind="matter",
                code=matter.code,
                name=matter.name,
                online=guide.online,
                fields={
                    "name": matter.name,
                    "synonyms": guide.synonyms,
                    "keywords": guide.keywords,
                    "materials": " ".join(materials),
                    "conditions": f"{guide.conditions} {guide.applicant_scope}",
                    "department": matter.department.name,
                },
            )
        )
        words.add(matter.name)
        words.update(split_words(guide.keywords))
        words.update(split_words(guide.synonyms))
        words.update(materials)
    bundles = (
        Bundle.objects.filter(active=True)
        .prefetch_related(Prefetch("items", queryset=BundleItem.objects.select_related("matter")))
        .order_by("code")
    )
    for bundle in bundles:
        members = [item.matter.name for item in bundle.items.all() if item.matter.active]
        documents.append(
            Document(
                kind="bundle",
                code=bundle.code,
                name=bundle.name,
                online=True,
                fields={
                    "name": bundle.name,
                    "synonyms": bundle.synonyms,
                    "keywords": f"{bundle.keywords} {bundle.description}",
                    "members": " ".join(members),
                },
            )
        )
        words.add(bundle.name)
        words.update(split_words(bundle.keywords))
        words.update(split_words(bundle.synonyms))
    synonyms = dict(Synonym.objects.values_list("term", "expansions"))
    for term, expansions in synonyms.items():
        words.add(term)
        words.update(split_words(expansions))
    return documents, synonyms, words


def backend_class() -> type[SearchBackend]:
    dotted = getattr(settings, "GUIDE_BACKEND", "tongban.selfservice.guide.bm25.BM25Backend")
    module_name, _, class_name = dotted.rpartition(".")
    cls: type[SearchBackend] = getattr(importlib.import_module(module_name), class_name)
    return cls


def build_index(fingerprint: str | None = None) -> GuideIndex:
    fingerprint = fingerprint or catalog_fingerprint()
    documents, synonyms, words = build_documents()
    add_words(words)
    vocabulary = {t for w in words for t in [w, *tokens(w)]}
    backend = backend_class()(documents, vocabulary=vocabulary)
    doc_vocabulary = getattr(backend, "vocabulary", vocabulary)
    analyzer = Analyzer(vocabulary=doc_vocabulary, synonyms=synonyms, typo_words=words)
    return GuideIndex(
        analyzer=analyzer,
        backend=backend,
        fingerprint=fingerprint,
        built_at=time.monotonic(),
        documents=len(documents),
    )


_lock = threading.Lock()
_state: dict[str, object] = {"index": None, "checked_at": 0.0}


def get_index() -> GuideIndex:
    """The current index. While one thread rebuilds a stale index, the others keep answering from the old one."""
    check_every = float(getattr(settings, "GUIDE_INDEX_CHECK_SECONDS", 30))
    max_age = float(getattr(settings, "GUIDE_INDEX_MAX_AGE", 600))
    now = time.monotonic()
    index = _state["index"]
    if isinstance(index, GuideIndex) and now - float(_state["checked_at"]) < check_every:  # type: ignore[arg-type]
        return index
    if isinstance(index, GuideIndex) and not _lock.acquire(blocking=False):
        return index  # someone else is checking or rebuilding
    if not isinstance(index, GuideIndex):
        _lock.acquire()
    try:
        index = _state["index"]
        fingerprint = catalog_fingerprint()
        stale = (
            not isinstance(index, GuideIndex)
            or index.fingerprint != fingerprint
            or now - index.built_at > max_age
        )
        if stale:
            index = build_index(fingerprint)
            _state["index"] = index
        _state["checked_at"] = time.monotonic()
        assert isinstance(index, GuideIndex)
        return index
    finally:
        _lock.release()


def guide_index_invalidate() -> None:
    with _lock:
        _state["index"] = None
        _state["checked_at"] = 0.0
