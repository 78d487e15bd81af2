"""Incident-grouped, seeded, stable split assignment (pure).

A split depends only on the group key and the seed, never on the other incidents: adding an
incident never moves an existing one, and a group of incidents that share a text (repeat
filings) always lands on one side.

>>> assign_split("bytedance-tiktok-journalists-2022")
'train'
"""

from __future__ import annotations

import hashlib

SPLIT_SEED = "privacy-incidents-splits-v1"
SPLIT_FRACTIONS = (("train", 0.70), ("validation", 0.15), ("test", 0.15))


def unit_interval(key: str, seed: str = SPLIT_SEED) -> float:
    """A stable number in [0, 1) for ``key``: the first 8 bytes of SHA-256(seed:key)."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_split(group_key: str, seed: str = SPLIT_SEED) -> str:
    point, upper = unit_interval(group_key, seed), 0.0
    for name, fraction in SPLIT_FRACTIONS:
        upper += fraction
        if point < upper:
            return name
    return SPLIT_FRACTIONS[-1][0]
