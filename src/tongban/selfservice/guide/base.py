"""The 百事通 search backend interface.

A backend is built once from a list of :class:`Document` (matters and
bundles, flattened from the catalog) and answers :meth:`SearchBackend.search`
with scored :class:`Hit`. The BM25 backend (:mod:`.bm25`) is the default; a
semantic backend (embeddings) can be plugged in later by implementing the same
two methods and naming it in ``settings.GUIDE_BACKEND``.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One searchable catalog entry. Field texts are plain strings; the backend tokenises them."""

    kind: str  # "matter" | "bundle"
    code: str
    name: str
    # field name -> text; the field names below are the ones the BM25 backend weighs
    fields: dict[str, str] = field(default_factory=dict)
    online: bool = False


FIELD_LABELS: dict[str, str] = {
    "name": "名称",
    "synonyms": "俗称",
    "keywords": "关键词",
    "materials": "所需材料",
    "conditions": "办理条件",
    "members": "包含事项",
    "department": "实施部门",
}


@dataclass(frozen=True)
class Query:
    """A parsed question: the words the resident typed and what we added to them."""

    text: str  # normalised question
    terms: tuple[str, ...]  # informative words from the question
    expansions: dict[str, tuple[str, ...]]  # synonym/typo term -> catalog words it adds
    bigrams: tuple[str, ...] = ()
    # the same sources -> the catalog words as written, for explaining a hit ("病历本"即"门急诊就医记录册")
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    kind: str
    code: str
    name: str
    score: float
    why: str
    coverage: float  # share of the question's informative words this entry explains (0..1)
    online: bool = False


class SearchBackend(abc.ABC):
    name: str = "base"

    @abc.abstractmethod
    def __init__(self, documents: list[Document], *, vocabulary: set[str]) -> None: ...

    @abc.abstractmethod
    def search(self, query: Query, *, limit: int = 10) -> list[Hit]:
        """Best first. Only entries that share at least one word (or name bigram) with the query."""
