"""Embedding speed: sentences per second through the embedding cache, cold vs warm, side by side.

Embeds the distinct utterances of scripted Werewolf games (seat names masked, as the latent space does)
with all-MiniLM-L6-v2 three ways in one run: a cold cache (every text reaches the model), the same cache
again (in-memory hits), and a fresh cache over the SQLite store the cold pass wrote (a new process
resuming a run directory). The model is loaded and warmed up before any timing.

Last line: ``RESULT sentences_per_s_cold=... sentences_per_s_cached=... speedup=... sentences_per_s_disk=...``

Run: ``.venv/bin/python -m benchmarks.embedding --sentences 500``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from solvers.latent import CachedEmbedder, ClusterConfig, HashingEmbedder, MiniLMEmbedder
from solvers.latent.quality import play_utterances, scripted_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=500, help="distinct sentences to embed")
    parser.add_argument("--embedder", choices=["minilm", "hashing"], default="minilm")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    texts: list[str] = []
    games = 5
    while len(texts) < args.sentences:
        said = ClusterConfig().prepare([u.text for u in play_utterances(scripted_scenario(), games=games)])
        texts = list(dict.fromkeys(said))[: args.sentences]
        games *= 2
    words = sum(len(t.split()) for t in texts) / len(texts)
    inner = MiniLMEmbedder(batch_size=args.batch_size) if args.embedder == "minilm" else HashingEmbedder()
    inner.encode(["warm up the model", "and its tokenizer"])

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "embeddings.sqlite"
        cache = CachedEmbedder(inner, store=store)
        for name, run in (("cold cache", cache), ("warm cache (memory)", cache)):
            start = time.perf_counter()
            run.encode(texts)
            rows.append((name, len(texts) / (time.perf_counter() - start), dict(run.stats())))
        cache.close()
        disk = CachedEmbedder(inner, store=store)
        start = time.perf_counter()
        disk.encode(texts)
        rows.append(("warm cache (SQLite)", len(texts) / (time.perf_counter() - start), disk.stats()))
        disk.close()

    print(f"{len(texts)} distinct utterances, {words:.1f} words on average; embedder {inner.name}\n")
    print(f"{'pass':22s} {'sentences/s':>12s}  cache after the pass")
    for name, rate, stats in rows:
        print(f"{name:22s} {rate:12.1f}  {stats}")
    cold, cached, disk_rate = (r[1] for r in rows)
    print(
        f"RESULT sentences_per_s_cold={cold:.1f} sentences_per_s_cached={cached:.1f} "
        f"speedup={cached / cold:.1f} sentences_per_s_disk={disk_rate:.1f}"
    )


if __name__ == "__main__":
    main()
