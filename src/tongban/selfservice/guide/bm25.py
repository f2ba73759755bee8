"""BM25 backend (rank-bm25's Okapi BM25) over jieba words, with a character-bigram fallback.

Fields are weighed by repetition in the BM25 document (name ×3, colloquial
names and keywords ×2, the rest ×1), the classic way to get fielded BM25
out of a single-field scorer. A second, small BM25 over character bigrams of
the name, colloquial names and keywords catches what segmentation misses
("门诊记录册" still shares 记录, 录册 with "门急诊就医记录册").

Only documents sharing a word with the question are scored (an inverted
index picks them), so a 5,000-matter catalog answers in a few milliseconds.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from rank_bm25 import BM25Okapi

from tongban.selfservice.guide.base import FIELD_LABELS, Document, Hit, Query, SearchBackend
from tongban.selfservice.guide.text import han_bigrams, tokens

FIELD_WEIGHTS: dict[str, int] = {
    "name": 3,
    "synonyms": 2,
    "keywords": 2,
    "members": 1,
    "materials": 1,
    "conditions": 1,
    "department": 1,
}
BIGRAM_FIELDS = ("name", "synonyms", "keywords")
WEIGHT_TERMS = 1.0
WEIGHT_SYNONYMS = 0.9
WEIGHT_TYPOS = 0.7
WEIGHT_BIGRAMS = 0.3


class BM25Backend(SearchBackend):
    name = "bm25"

    def __init__(self, documents: list[Document], *, vocabulary: set[str]) -> None:
        self.documents = documents
        self.field_tokens: list[dict[str, set[str]]] = []
        corpus: list[list[str]] = []
        bigram_corpus: list[list[str]] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.bigram_postings: dict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(documents):
            per_field: dict[str, set[str]] = {}
            words: list[str] = []
            for fname, weight in FIELD_WEIGHTS.items():
                toks = tokens(doc.fields.get(fname, ""))
                per_field[fname] = set(toks)
                words.extend(toks * weight)
            bigrams = [b for f in BIGRAM_FIELDS for b in han_bigrams(doc.fields.get(f, ""))]
            self.field_tokens.append(per_field)
            corpus.append(words or ["\x00"])
            bigram_corpus.append(bigrams or ["\x00"])
            for w in set(words):
                self.postings[w].append(i)
            for b in set(bigrams):
                self.bigram_postings[b].append(i)
        self.vocabulary = vocabulary | set(self.postings)
        self._words = BM25Okapi(corpus) if documents else None
        self._bigrams = BM25Okapi(bigram_corpus) if documents else None
        # Impact-ordered postings: rank-bm25's Okapi weight of each (term, document) pair computed once, so a
        # search is a few numpy scatter-adds instead of a Python loop over candidate documents per term.
        self._word_impacts = _impacts(self._words, self.postings) if self._words else {}
        self._bigram_impacts = _impacts(self._bigrams, self.bigram_postings) if self._bigrams else {}

    # -- scoring ---------------------------------------------------------------------------------------
    def search(self, query: Query, *, limit: int = 10) -> list[Hit]:
        if not self.documents or self._words is None or self._bigrams is None:
            return []
        synonym_terms = [w for src, ws in query.expansions.items() if not src.startswith("~") for w in ws]
        typo_terms = [w for src, ws in query.expansions.items() if src.startswith("~") for w in ws]
        groups = [
            (self._word_impacts, list(query.terms), WEIGHT_TERMS),
            (self._word_impacts, list(dict.fromkeys(synonym_terms)), WEIGHT_SYNONYMS),
            (self._word_impacts, list(dict.fromkeys(typo_terms)), WEIGHT_TYPOS),
        ]
        total = np.zeros(len(self.documents))
        matched = False
        for impacts, terms, weight in groups:
            for t in terms:
                posting = impacts.get(t)
                if posting is not None:
                    total[posting[0]] += weight * posting[1]
                    matched = True
        bigram_total = np.zeros(len(self.documents))
        for b in query.bigrams:
            posting = self._bigram_impacts.get(b)
            if posting is not None:
                bigram_total[posting[0]] += WEIGHT_BIGRAMS * posting[1]
        if matched:  # bigrams only refine documents that share a word; alone they find near-misses
            total += np.where(total > 0, bigram_total, 0.0)
        else:
            total = bigram_total
        candidates = int(np.count_nonzero(total))
        if not candidates:
            return []
        top = np.argpartition(-total, limit)[:limit] if candidates > limit else np.flatnonzero(total)
        order = top[np.lexsort((top, -total[top]))]  # best first; ties in catalog order, deterministic
        hits: list[Hit] = []
        for j in order:
            score = float(total[j])
            if score <= 0:
                break
            doc_index = int(j)
            doc = self.documents[doc_index]
            why, coverage = self._explain(doc_index, query)
            hits.append(
                Hit(
                    kind=doc.kind,
                    code=doc.code,
                    name=doc.name,
                    score=round(score, 3),
                    why=why,
                    coverage=coverage,
                    online=doc.online,
                )
            )
        return hits

    # -- explaining ------------------------------------------------------------------------------------
    def _explain(self, doc_index: int, query: Query) -> tuple[str, float]:
        per_field = self.field_tokens[doc_index]
        all_tokens: set[str] = set().union(*per_field.values())
        parts: list[str] = []
        covered_chars: set[int] = set()
        text = query.text

        def cover(word: str) -> None:
            start = text.find(word)
            while start >= 0:
                covered_chars.update(range(start, start + len(word)))
                start = text.find(word, start + 1)

        for src, words in query.expansions.items():
            if not any(w in all_tokens for w in words):
                continue
            label_words = query.labels.get(src) or tuple(_longest(list(words)))
            shown = "、".join(f"“{w}”" for w in label_words[:2])
            if src.startswith("~"):
                parts.append(f"“{src[1:]}”应为{shown}")
                cover(src[1:])
            else:
                parts.append(f"“{src}”即{shown}")
                cover(src)
        matched_terms = [t for t in query.terms if t in all_tokens]
        for t in matched_terms:
            cover(t)
        # rarest matched words first, each under the most telling field it appears in
        idf = self._words.idf if self._words is not None else {}
        by_field: dict[str, list[str]] = {}
        for t in sorted(_longest(matched_terms), key=lambda w: -idf.get(w, 0.0)):
            fname = next(f for f in FIELD_WEIGHTS if t in per_field.get(f, set()))
            by_field.setdefault(fname, []).append(t)
        for fname, in_field in list(by_field.items())[:2]:
            parts.append(f"{FIELD_LABELS[fname]}含" + "、".join(f"“{w}”" for w in in_field[:3]))
        if not parts:
            bigrams = [b for b in query.bigrams if b in self.documents[doc_index].name]
            if bigrams:
                parts.append("名称相近：" + "、".join(f"“{b}”" for b in bigrams[:3]))
                for b in bigrams:
                    cover(b)
        informative: set[int] = set()
        for t in [*query.terms, *(s.lstrip("~") for s in query.expansions)]:
            start = text.find(t)
            while start >= 0:
                informative.update(range(start, start + len(t)))
                start = text.find(t, start + 1)
        coverage = len(covered_chars & informative) / len(informative) if informative else 0.0
        return "；".join(parts) or "与问题部分相关", round(coverage, 2)


def _impacts(bm25: BM25Okapi, postings: dict[str, list[int]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """term -> (document ids, Okapi BM25 weight of the term in each), from rank-bm25's own statistics."""
    k1, b, avgdl = bm25.k1, bm25.b, bm25.avgdl
    doc_len = np.asarray(bm25.doc_len, dtype=float)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for term, docs in postings.items():
        ids = np.asarray(docs, dtype=np.int64)
        tf = np.asarray([bm25.doc_freqs[d][term] for d in docs], dtype=float)
        weight = bm25.idf.get(term, 0.0) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_len[ids] / avgdl))
        out[term] = (ids, weight)
    return out


def _longest(words: list[str]) -> list[str]:
    """Drop words contained in a longer matched word (记录 inside 记录册), longest first."""
    uniq = sorted(set(words), key=lambda w: (-len(w), w))
    kept: list[str] = []
    for w in uniq:
        if not any(w in k for k in kept):
            kept.append(w)
    return kept
