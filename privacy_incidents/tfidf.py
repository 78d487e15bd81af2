"""A faster ``TfidfVectorizer.transform`` for the baselines' word n-gram vectorisers (same numbers).

Mining spends most of its time turning sentences into TF-IDF vectors, and scikit-learn's
transform builds every n-gram and counts it in a Python loop per feature. This does the same
computation with the fitted vocabulary and idf — lowercase, the token pattern, n-grams joined
by a space, counts, optional 1 + log(tf), idf, L2 norm — with C-level ``map`` lookups and one
sparse matrix per batch. Only plain word n-gram vectorisers qualify (``supports``); anything
else falls back to scikit-learn. ``tests/test_mine.py`` checks equality with scikit-learn.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize


def supports(vectorizer: Any) -> bool:
    """True for a fitted word-n-gram TfidfVectorizer with no custom hooks (the baselines' kind)."""
    params = vectorizer.get_params()
    return (
        params["analyzer"] == "word" and params["lowercase"] and params["preprocessor"] is None
        and params["tokenizer"] is None and params["stop_words"] is None and params["strip_accents"] is None
        and not params["binary"] and params["input"] == "content" and params["norm"] in ("l2", None)
        and params["decode_error"] == "strict" and hasattr(vectorizer, "idf_")
    )


def _ngram_ids(tokens: list[str], get: Any, low: int, high: int) -> list[int]:
    """Vocabulary indices of the n-grams of ``tokens`` (n from low to high), unknown ones dropped."""
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), high + 1):
        if n == 2:  # the common case, written for speed
            grams += [a + " " + b for a, b in zip(tokens, tokens[1:])]
        else:
            grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return [i for i in map(get, grams) if i is not None]


def transform(vectorizer: Any, texts: list[str]) -> sp.csr_matrix:
    """``vectorizer.transform(texts)``, computed faster when ``supports(vectorizer)``."""
    if not supports(vectorizer):
        return vectorizer.transform(texts)
    findall = re.compile(vectorizer.token_pattern).findall
    get = vectorizer.vocabulary_.get
    low, high = vectorizer.ngram_range
    indices: list[int] = []
    indptr = [0]
    for text in texts:
        indices.extend(_ngram_ids(findall(text.lower()), get, low, high))
        indptr.append(len(indices))
    counts = sp.csr_matrix(
        (np.ones(len(indices), dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(texts), len(vectorizer.vocabulary_)),
    )
    counts.sum_duplicates()  # repeated n-grams of a sentence become one count (and indices get sorted)
    if vectorizer.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    if vectorizer.use_idf:
        counts.data *= vectorizer.idf_[counts.indices]
    return normalize(counts, norm=vectorizer.norm, copy=False) if vectorizer.norm else counts
