"""Chinese text handling for the 百事通: normalising, segmenting, synonyms, typo repair, PII stripping.

Segmentation is jieba's search mode on a process-wide tokenizer whose
dictionary gets every catalog word (matter names, keywords, colloquial names,
material names), so "门急诊就医记录册" stays one word and its parts are found
too. Typos are repaired through pinyin: a run of characters that is not a
known word but sounds like one ("居住正", "病例本") adds that word.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable

import jieba
from pypinyin import Style, lazy_pinyin

from tongban.selfservice.guide.base import Query

jieba.setLogLevel(logging.WARNING)

# Words that carry no meaning for finding a matter. Kept small on purpose: BM25's idf handles the rest.
STOPWORDS = frozenset(
    [
        "我",
        "我们",
        "你",
        "你们",
        "他",
        "她",
        "它",
        "的",
        "了",
        "着",
        "过",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "哦",
        "嘛",
        "么",
        "要",
        "想",
        "需要",
        "能",
        "能不能",
        "可以",
        "可不可以",
        "会",
        "该",
        "应该",
        "怎么",
        "怎么办",
        "怎样",
        "怎么样",
        "如何",
        "什么",
        "啥",
        "哪",
        "哪里",
        "哪儿",
        "去哪",
        "去哪儿",
        "哪个",
        "哪些",
        "多少",
        "几",
        "吗",
        "是",
        "有",
        "没有",
        "在",
        "和",
        "跟",
        "与",
        "及",
        "或",
        "给",
        "让",
        "把",
        "被",
        "就",
        "都",
        "也",
        "还",
        "再",
        "又",
        "才",
        "刚",
        "刚刚",
        "已经",
        "一下",
        "一个",
        "这个",
        "那个",
        "这",
        "那",
        "请问",
        "你好",
        "您好",
        "请",
        "问",
        "办",
        "办理",
        "手续",
        "弄",
        "去",
        "来",
        "到",
        "做",
        "搞",
        "拿",
        "用",
        "想要",
        "得",
        "地",
        "之",
        "为",
        "对",
        "从",
        "向",
        "所以",
        "因为",
        "如果",
        "然后",
        "现在",
        "今天",
        "明天",
        "家里",
        "家",
        "人",
        "东西",
        "事",
        "事情",
        "问题",
        "谢谢",
        "麻烦",
        "帮",
        "帮忙",
        "一些",
        "不",
        "没",
        "不了",
        "要求",
        "需要什么",
        "哪些",
        "一般",
        "大概",
        "多久",
        "多长时间",
        "时间",
        "好",
        "好了",
        "可",
        "以",
    ]
)

_PUNCT_RE = re.compile(r"[\s\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65!-/:-@\[-`{-~]+")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]+")
_SPLIT_RE = re.compile(r"[\s,，、;；/|]+")

# Personal data a resident may type into a question. Stripped before anything is stored.
_ID_RE = re.compile(r"\d{6}(?:18|19|20)?\d{2}(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01])\d{3}[\dXx]")
_PHONE_RE = re.compile(r"(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d){8}")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS_RE = re.compile(r"[\d０-９]+[\dXx０-９*＊\-\s]*")
_NAME_RE = re.compile(r"(我叫|我是|名字叫|名字是|姓名是?|本人)([\u4e00-\u9fff]{1,4})")

MAX_QUESTION_CHARS = 200


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, one space between words, at most 200 characters."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(text.split())[:MAX_QUESTION_CHARS]


def strip_personal_data(text: str) -> str:
    """Remove ID numbers, phones, e-mail addresses, every other digit run and self-given names.

    What is left is safe to keep for the catalog team: "我叫张三，身份证310...，居住证在哪领"
    becomes "我叫＊，身份证＊，居住证在哪领".
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = _ID_RE.sub("＊", text)
    text = _PHONE_RE.sub("＊", text)
    text = _EMAIL_RE.sub("＊", text)
    text = _DIGITS_RE.sub("＊", text)
    text = _NAME_RE.sub(lambda m: m.group(1) + "＊", text)
    return " ".join(text.split())[:MAX_QUESTION_CHARS]


def split_words(text: str) -> list[str]:
    """Split a keywords/synonyms field ("生孩子 生育，出生") into its words."""
    return [w for w in _SPLIT_RE.split(text or "") if w]


def han_bigrams(text: str) -> list[str]:
    out: list[str] = []
    for run in _HAN_RE.findall(text):
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


_tokenizer_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_added_words: set[str] = set()


def _get_tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    with _tokenizer_lock:
        if _tokenizer is None:
            tk = jieba.Tokenizer()
            tk.initialize()
            _tokenizer = tk
        return _tokenizer


# chunk of text -> its informative words; valid while the dictionary does not change (cleared by add_words)
_chunk_cache: dict[str, tuple[str, ...]] = {}
_CHUNK_CACHE_MAX = 200_000


def add_words(words: Iterable[str]) -> None:
    """Teach the segmenter the catalog's words (idempotent)."""
    tk = _get_tokenizer()
    with _tokenizer_lock:
        added = False
        for word in words:
            w = normalise(word)
            if len(w) >= 2 and w not in _added_words and " " not in w:
                tk.add_word(w)
                _added_words.add(w)
                added = True
        if added:
            _chunk_cache.clear()


def tokens(text: str) -> list[str]:
    """Informative words of a text: jieba search mode, no stop words, no punctuation, no single characters."""
    tk = _get_tokenizer()
    out: list[str] = []
    for chunk in _PUNCT_RE.split(normalise(text)):
        if not chunk:
            continue
        cached = _chunk_cache.get(chunk)
        if cached is None:
            cached = tuple(
                t
                for t in (tok.strip() for tok in tk.cut_for_search(chunk, HMM=True))
                if len(t) >= 2 and t not in STOPWORDS
            )
            if len(_chunk_cache) >= _CHUNK_CACHE_MAX:
                _chunk_cache.clear()
            _chunk_cache[chunk] = cached
        out.extend(cached)
    return out


def _pinyin(text: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(text, style=Style.NORMAL, errors="ignore"))


class Analyzer:
    """Turns a question into a :class:`Query` against one catalog snapshot."""

    TYPO_MIN_CHARS = 3
    TYPO_MAX_CHARS = 8

    def __init__(self, *, vocabulary: set[str], synonyms: dict[str, str], typo_words: Iterable[str]) -> None:
        self.vocabulary = vocabulary
        # colloquial term -> the catalog words it stands for (tokenised like documents)
        self.synonyms: dict[str, tuple[str, ...]] = {}
        self.synonym_labels: dict[str, tuple[str, ...]] = {}
        for term, expansions in synonyms.items():
            words = tuple(
                dict.fromkeys(t for e in split_words(expansions) for t in [*tokens(e), normalise(e)])
            )
            words = tuple(w for w in words if w in vocabulary) or words
            if words:
                self.synonyms[normalise(term)] = words
                self.synonym_labels[normalise(term)] = tuple(normalise(e) for e in split_words(expansions))
        # pinyin of every catalog word of 3+ characters -> the words (for "sounds like" repair)
        self._by_pinyin: dict[tuple[str, ...], set[str]] = {}
        for word in typo_words:
            w = normalise(word)
            if self.TYPO_MIN_CHARS <= len(w) <= self.TYPO_MAX_CHARS and _HAN_RE.fullmatch(w):
                self._by_pinyin.setdefault(_pinyin(w), set()).add(w)

    def parse(self, question: str) -> Query:
        text = normalise(question)
        terms = tuple(dict.fromkeys(tokens(text)))
        expansions: dict[str, tuple[str, ...]] = {}
        labels: dict[str, tuple[str, ...]] = {}
        for term, words in self.synonyms.items():
            if term in text:
                expansions[term] = words
                labels[term] = self.synonym_labels[term]
        for run in _HAN_RE.findall(text):
            self._repair(run, expansions, labels)
        bigrams = tuple(dict.fromkeys(b for b in han_bigrams(text) if b not in STOPWORDS))
        return Query(text=text, terms=terms, expansions=expansions, bigrams=bigrams, labels=labels)

    def _repair(
        self, run: str, expansions: dict[str, tuple[str, ...]], labels: dict[str, tuple[str, ...]]
    ) -> None:
        if len(run) < self.TYPO_MIN_CHARS:
            return
        syllables = _pinyin(run)
        if len(syllables) != len(run):  # a character pypinyin does not know: no safe alignment
            return
        for size in range(min(self.TYPO_MAX_CHARS, len(run)), self.TYPO_MIN_CHARS - 1, -1):
            for start in range(len(run) - size + 1):
                window = run[start : start + size]
                if window in self.vocabulary or window in expansions:
                    continue
                words = self._by_pinyin.get(syllables[start : start + size])
                if not words:
                    continue
                found = tuple(sorted(w for w in words if w != window))
                if found:
                    labels["~" + window] = found
                    expansions["~" + window] = (
                        tuple(
                            dict.fromkeys(t for w in found for t in [w, *tokens(w)] if t in self.vocabulary)
                        )
                        or found
                    )
