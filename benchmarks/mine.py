"""Throughput of ``privacy-incidents mine`` (prints the figures in the README; not a test).

Builds Parquet shards of about ``--sentences`` sentences from the release's articles (repeated,
each copy with its own ids), then mines them end to end (read, segment, predict, rank, write):
on a Dask ``LocalCluster`` with 1 and with 2 worker processes (one thread each; peak resident
memory of each worker from ``getrusage``), and with the default local scheduler (processes).

    .venv/bin/python benchmarks/mine.py                      # ~1M sentences, a few minutes
    .venv/bin/python benchmarks/mine.py --sentences 100000   # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from privacy_incidents.mine import mine, read_model_files  # noqa: E402
from privacy_incidents.schema import SPLITS  # noqa: E402
from privacy_incidents.segmenters import sentence_spans  # noqa: E402


def release_articles() -> list[dict[str, str]]:
    rows = []
    for split in SPLITS:
        table = pq.read_table(ROOT / "dataset" / "articles" / f"{split}-00000-of-00001.parquet", columns=["article_id", "title", "text"])
        rows += table.to_pylist()
    return rows


def build_shards(folder: Path, target_sentences: int, shards: int) -> tuple[int, int]:
    """Write ``shards`` Parquet files of copies of the release's articles; (documents, sentences)."""
    articles = release_articles()
    per_copy = sum(len(sentence_spans(a["text"])) for a in articles)
    copies = max(1, round(target_sentences / per_copy))
    documents = [
        {"id": f"{a['article_id']}-copy{c}", "title": a["title"], "text": a["text"]} for c in range(copies) for a in articles
    ]
    size = -(-len(documents) // shards)
    for n in range(shards):
        chunk = documents[n * size : (n + 1) * size]
        pq.write_table(pa.Table.from_pylist(chunk), folder / f"shard-{n:03d}.parquet", row_group_size=1000)
    return len(documents), copies * per_copy


def _usage() -> tuple[int, float]:
    """This process's peak resident memory (MiB) and CPU seconds (user + system)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime


def on_cluster(pattern: str, output: Path, files, workers: int) -> tuple[float, list[int], float]:
    """Wall time of one mine run on a fresh LocalCluster, each worker's peak memory (MiB), workers' CPU seconds."""

    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit="4GiB",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        started = time.perf_counter()
        mine(pattern, output, files, scheduler=cluster.scheduler_address, progress=False)
        elapsed = time.perf_counter() - started
        usage = client.run(_usage)
    return elapsed, sorted(peak for peak, _ in usage.values()), sum(cpu for _, cpu in usage.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--baseline", default="tfidf_logreg_v1")
    args = parser.parse_args()
    files = read_model_files(args.baseline, ROOT / "baselines" / "models")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        documents, sentences = build_shards(folder, args.sentences, args.shards)
        print(f"corpus: {documents:,} documents, {sentences:,} sentences in {args.shards} Parquet shards "
              f"(built in {time.perf_counter() - started:.0f} s); baseline {args.baseline}")
        pattern = str(folder / "*.parquet")
        print("| run | wall time | sentences/s | documents/s | peak memory per worker | workers' CPU time |")
        print("|---|---|---|---|---|---|")
        outputs = {}
        for workers in (1, 2):
            outputs[workers] = folder / f"candidates-{workers}.jsonl"
            elapsed, peaks, cpu = on_cluster(pattern, outputs[workers], files, workers)
            print(f"| LocalCluster, {workers} worker(s) × 1 thread | {elapsed:.1f} s | {sentences / elapsed:,.0f} | "
                  f"{documents / elapsed:,.0f} | {', '.join(f'{p:,} MiB' for p in peaks)} | {cpu:.0f} s "
                  f"({sentences / cpu:,.0f} sentences per CPU-second) |", flush=True)
        started = time.perf_counter()
        outputs["local"] = folder / "candidates-local.jsonl"
        mine(pattern, outputs["local"], files, scheduler="processes", workers=2, progress=False)
        elapsed = time.perf_counter() - started
        print(f"| default local scheduler (processes, 2) | {elapsed:.1f} s | {sentences / elapsed:,.0f} | {documents / elapsed:,.0f} | (not measured) | |")
        same = len({path.read_bytes() for path in outputs.values()}) == 1
        counted = sum(json.loads(line)["sentences"] for line in outputs["local"].open(encoding="utf-8"))
        print(f"\nthe three outputs are byte-identical: {same}; sentences counted in the output: {counted:,}")
        print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
