"""TF-IDF features computed as scikit-learn's ``TfidfVectorizer.transform`` computes them, without it.

Importing scikit-learn costs most of a second — more than predicting 20,000 sentences — and its
transform counts every n-gram in a Python loop per feature. ``Tfidf`` holds a fitted vectoriser
as plain data (settings, vocabulary, idf) and repeats its computation: lowercase; the analyzer's
n-grams (word n-grams of the token pattern joined by a space, or the char_wb n-grams of each
space-padded word); counts; 1 + log(tf); idf; the L2 norm summed in the same order. The
matrices are identical to the last bit (``tests/test_mine.py`` compares them with
scikit-learn's). Only the settings the baselines use qualify (``supported``); a model with
others keeps scikit-learn's vectoriser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import scipy.sparse as sp

WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's whitespace normalisation before char_wb n-grams


def supported(params: dict[str, Any]) -> bool:
    """True for vectoriser parameters ``Tfidf`` computes exactly (the baselines' kinds)."""
    return (
        params["analyzer"] in ("word", "char_wb") and params["lowercase"] and params["preprocessor"] is None
        and params["tokenizer"] is None and params["stop_words"] is None and params["strip_accents"] is None
        and not params["binary"] and params["input"] == "content" and params["norm"] in ("l2", None)
    )


@dataclass(frozen=True)
class Tfidf:
    """A fitted TF-IDF vectoriser as plain data; ``transform`` gives scikit-learn's matrix."""

    analyzer: str  # "word" or "char_wb"
    ngram_range: tuple[int, int]
    token_pattern: str
    vocabulary_: dict[str, int]  # scikit-learn's attribute names, so either vectoriser serves
    idf_: np.ndarray | None  # None when the vectoriser does not use idf
    sublinear_tf: bool
    norm: str | None

    @classmethod
    def from_params(cls, params: dict[str, Any], terms: list[str], idf: np.ndarray | None) -> Tfidf:
        """From ``get_params()`` of a supported vectoriser, its terms in column order, and its idf."""
        return cls(params["analyzer"], tuple(params["ngram_range"]), params["token_pattern"],
                   dict(zip(terms, range(len(terms)))), idf if params["use_idf"] else None,
                   params["sublinear_tf"], params["norm"])

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        get, (low, high), columns = self.vocabulary_.get, self.ngram_range, len(self.vocabulary_)
        if self.analyzer == "word":
            findall = re.compile(self.token_pattern).findall
            counts = _counts([_word_ngram_ids(findall(text.lower()), get, low, high) for text in texts], columns)
        else:
            # (sentences x words) @ (words x n-grams): each distinct word's n-grams are found once, and
            # the sentences' counts are summed in C; counts are small integers, so the sums are exact.
            words = _WordIds()
            rows = [list(map(words.__getitem__, WHITE_SPACES.sub(" ", text.lower()).split())) for text in texts]
            counts = _counts(rows, len(words)) @ _counts([_char_wb_ngram_ids(word, get, low, high) for word in words], columns)
            counts.sort_indices()
        return self._weigh(counts)

    def _weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Counts -> TF-IDF, in scikit-learn's order of operations."""
        if self.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1.0
        if self.idf_ is not None:
            counts.data *= self.idf_[counts.indices]
        if self.norm:
            _normalize_rows_l2(counts.data, counts.indptr)
        return counts


class _WordIds(dict):
    """word -> its number, the next one on first sight (``map(ids.__getitem__, words)`` stays in C)."""

    def __missing__(self, word: str) -> int:
        number = self[word] = len(self)
        return number


def _word_ngram_ids(tokens: list[str], get: Any, low: int, high: int) -> list[int]:
    """Vocabulary indices of the n-grams of ``tokens`` (n from low to high), unknown ones dropped."""
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), high + 1):
        if n == 2:  # the common case, written for speed
            grams += [a + " " + b for a, b in zip(tokens, tokens[1:])]
        else:
            grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return [i for i in map(get, grams) if i is not None]


def _char_wb_ngram_ids(word: str, get: Any, low: int, high: int) -> list[int]:
    """Vocabulary indices of the char n-grams of `` word `` (scikit-learn's ``_char_wb_ngrams``)."""
    padded = " " + word + " "
    grams: list[str] = []
    for n in range(low, high + 1):
        grams += [padded[i : i + n] for i in range(max(len(padded) - n + 1, 1))]
        if len(padded) <= n:  # a word shorter than n is counted once, whole
            break
    return [i for i in map(get, grams) if i is not None]


def _counts(rows: list[list[int]], columns: int) -> sp.csr_matrix:
    """The count matrix of each row's (repeated) column indices, indices sorted within rows."""
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    indices = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(lengths.sum()))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    counts = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), columns))
    counts.sum_duplicates()  # repeated n-grams of a row become one count (and indices get sorted)
    return counts


def _normalize_rows_l2(data: np.ndarray, indptr: np.ndarray) -> None:
    """Divide each row by its L2 norm, in place, as scikit-learn does (``inplace_csr_row_normalize_l2``).

    Its sum of squares runs through a row in index order; a pairwise sum (numpy's) can differ in
    the last bit, so the rows are summed one position at a time, all rows at once.
    """
    lengths = np.diff(indptr)
    order = np.argsort(-lengths, kind="stable")  # longest rows first: the rows still summing are a prefix
    starts, longest = indptr[:-1][order], lengths[order]
    still = np.searchsorted(-longest, -np.arange(longest[0] if len(longest) else 0), side="left")
    squares = data * data
    sums = np.zeros(len(order))
    for position, rows in enumerate(still):
        sums[:rows] += squares[starts[:rows] + position]
    norms = np.empty(len(order))
    norms[order] = np.sqrt(sums)
    norms[norms == 0.0] = 1.0  # scikit-learn leaves an all-zero row as it is
    data /= np.repeat(norms, lengths)
