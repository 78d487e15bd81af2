"""The card's figures, drawn with matplotlib from the built rows (PNG, byte-identical per version).

matplotlib is pinned in pyproject.toml and PNG metadata is cleared, so the same rows give the
same bytes and ``build --check`` can compare them like the Parquet files.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from .schema import SPLITS, load_taxonomy

PLOTS_DIR = "plots"
ELEMENT_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")
PLOT_PATHS = {
    "split_sizes": f"{PLOTS_DIR}/split-sizes.png",
    "type_distribution": f"{PLOTS_DIR}/type-distribution.png",
    "sentence_lengths": f"{PLOTS_DIR}/sentence-lengths.png",
}
# Matplotlib writes its version and the date into PNGs unless told not to.
PNG_METADATA = {"Software": None}


def words(text: str) -> int:
    return len(text.split())


def sentence_lengths(release: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, list[int]]:
    """Sentence lengths in words, by source (pure)."""
    lengths: dict[str, list[int]] = {}
    for split in SPLITS:
        for row in release["sentences"][split]:
            lengths.setdefault(row["source"], []).append(words(row["text"]))
    return {source: sorted(values) for source, values in sorted(lengths.items())}


def length_table(lengths: dict[str, list[int]]) -> list[dict[str, Any]]:
    """Quantiles of sentence length per source, for the card's table (pure).

    >>> length_table({"news": [1, 2, 3, 4, 10]})
    [{'source': 'news', 'sentences': 5, 'min': 1, 'median': 3, 'p90': 10, 'max': 10}]
    """
    def quantile(values: list[int], q: float) -> int:
        return values[min(len(values) - 1, int(q * len(values)))]

    return [
        {"source": source, "sentences": len(values), "min": values[0], "median": quantile(values, 0.5),
         "p90": quantile(values, 0.9), "max": values[-1]}
        for source, values in lengths.items() if values
    ]


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no screen; the same backend everywhere
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9})
    return plt.subplots(figsize=(width, height), dpi=100)


def _save(figure: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, format="png", metadata=PNG_METADATA)
    plt.close(figure)


def plot_split_sizes(release: dict[str, dict[str, list[dict[str, Any]]]], path: Path) -> None:
    """Sentences per split, stacked by source."""
    counts = Counter((row["source"], split) for split in SPLITS for row in release["sentences"][split])
    sources = sorted({source for source, _ in counts})
    figure, axes = _figure(5.5, 3)
    bottom = [0] * len(SPLITS)
    for colour, source in zip(ELEMENT_COLOURS, sources):
        heights = [counts[source, split] for split in SPLITS]
        axes.bar(SPLITS, heights, bottom=bottom, label=source, color=colour)
        bottom = [b + h for b, h in zip(bottom, heights)]
    axes.set_ylabel("sentences")
    axes.set_title("Sentences per split and source")
    axes.legend(frameon=False)
    _save(figure, path)


def plot_type_distribution(release: dict[str, dict[str, list[dict[str, Any]]]], path: Path) -> None:
    """Labelled spans per type, coloured by element, in taxonomy order."""
    taxonomy = load_taxonomy()
    counts = Counter(row["type"] for split in SPLITS for row in release["spans"][split])
    names = list(taxonomy.type_names)
    colours = [ELEMENT_COLOURS[taxonomy.elements.index(name.split(":")[0]) % len(ELEMENT_COLOURS)] for name in names]
    figure, axes = _figure(6.5, 0.22 * len(names) + 1)
    axes.barh(range(len(names)), [counts[name] for name in names], color=colours)
    axes.set_yticks(range(len(names)), names)
    axes.invert_yaxis()
    axes.set_xlabel("spans (all splits)")
    axes.set_title("Labelled spans per type (colour: element)")
    _save(figure, path)


def plot_sentence_lengths(lengths: dict[str, list[int]], path: Path) -> None:
    """Histogram of sentence length in words per source, each scaled to its own total so a small source shows."""
    figure, axes = _figure(5.5, 3)
    longest = max((max(v) for v in lengths.values() if v), default=1)
    bins = range(0, min(longest, 120) + 5, 5)
    for colour, (source, values) in zip(ELEMENT_COLOURS, lengths.items()):
        axes.hist([min(v, bins[-1] - 1) for v in values], bins=bins, label=f"{source} ({len(values)})",
                  color=colour, alpha=0.7, weights=[1 / len(values)] * len(values))
    axes.set_xlabel(f"words per sentence (last bin: {bins[-1] - 5}+)")
    axes.set_ylabel("share of sentences")
    axes.set_title("Sentence length by source")
    axes.legend(frameon=False)
    _save(figure, path)


def write_plots(release: dict[str, dict[str, list[dict[str, Any]]]], out: Path) -> None:
    """Draw every figure of ``PLOT_PATHS`` into ``out``."""
    plot_split_sizes(release, out / PLOT_PATHS["split_sizes"])
    plot_type_distribution(release, out / PLOT_PATHS["type_distribution"])
    plot_sentence_lengths(sentence_lengths(release), out / PLOT_PATHS["sentence_lengths"])
