"""Latent strategy quality: does k-means on MiniLM embeddings recover scripted strategies and moves?

Werewolf part:

Plays the scripted tournament of ``scenarios/werewolf_scripted.yaml`` (its four scripted agents, every
ordered pair of sides, so every strategy of every role speaks), embeds each role's utterances with
all-MiniLM-L6-v2 (seat names masked), clusters them with k = the role's number of strategies and prints,
per role, the adjusted Rand index against the speaker's strategy:

* ``ARI all``: every utterance;
* ``ARI distinct``: the utterances whose intent is characteristic of the speaker's own strategy (a hidden
  Seer who reveals after finding a wolf says exactly what a revealing Seer says: those turns cannot show
  the strategy and are left out of this figure, not out of the clustering); ``share``: how many count;
* ``ARI@LSPO k`` and ``purity``: with LSPO's iteration-0 k (werewolves 3, others 2);
* ``ARI intent``: k = number of intents, against the intents; silhouette for k = 2..6.

RPSSL part: plays the scripted agents of ``scenarios/rpssl_scripted.yaml`` (every ordered pair; the
unlabelled random agent is left out), clusters each side's statements with k = 5 and prints ARI and purity
against the move each statement plays (its label), and purity for k = 5..10.

Last line: ``RESULT ari_min=... ari_mean=... (ari_<role>=...) ari_all_min=... (ari_all_<role>=...)``,
where ``ari`` is the Werewolf distinct-utterance figure, then ``rpssl_ari=... rpssl_purity=...`` (the
lower of the two sides) and per side ``rpssl_ari_<side>=...``, ``rpssl_purity_<side>=...``.

Run: ``.venv/bin/python -m benchmarks.latent_quality --games 20`` (``--parts rpssl`` for RPSSL alone)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from solvers.latent import CachedEmbedder, ClusterConfig, HashingEmbedder, LatentSpace, MiniLMEmbedder, label_space
from solvers.latent.quality import (
    RPSSL_SCENARIO,
    label_quality,
    play_utterances,
    scripted_scenario,
    strategy_quality,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--games", type=int, default=20, help="Werewolf games per ordered pair of agents (12 pairs)")
    parser.add_argument("--rpssl-games", type=int, default=10, help="RPSSL matches per ordered pair (20 pairs)")
    parser.add_argument("--seed", type=int, default=0, help="tournament seed")
    parser.add_argument("--kmeans-seed", type=int, default=0)
    parser.add_argument("--embedder", choices=["minilm", "hashing"], default="minilm")
    parser.add_argument("--cache", default=None, help="SQLite embedding store to reuse between runs")
    parser.add_argument("--parts", nargs="+", choices=list(PARTS), default=list(PARTS), help="which games to run")
    args = parser.parse_args()

    inner = MiniLMEmbedder() if args.embedder == "minilm" else HashingEmbedder()
    embedder = CachedEmbedder(inner, store=args.cache)
    config = ClusterConfig(seed=args.kmeans_seed)
    fields = []
    for part in args.parts:
        fields += PARTS[part](args, embedder, config)
        print()
    print("RESULT " + " ".join(fields))


def werewolf(args: argparse.Namespace, embedder: CachedEmbedder, config: ClusterConfig) -> list[str]:
    """The Werewolf tables; returns the RESULT fields."""
    start = time.perf_counter()
    utterances = play_utterances(scripted_scenario(), games=args.games, seed=args.seed)
    played = time.perf_counter() - start
    start, misses = time.perf_counter(), embedder.misses
    report = strategy_quality(utterances, embedder, config)
    clustered = time.perf_counter() - start
    print(
        f"Werewolf: {len(utterances)} utterances from {12 * args.games} scripted games in {played:.1f} s; "
        f"embedder {embedder.name}; embedding + clustering {clustered:.1f} s "
        f"({embedder.misses - misses} texts embedded)\n"
    )

    head = f"{'role':9s} {'n':>5s} {'k':>2s} {'ARI all':>8s} {'ARI distinct':>12s} {'share':>6s} "
    head += f"{'LSPO k':>6s} {'ARI@LSPO k':>10s} {'purity':>7s} {'ARI intent':>10s}  silhouette k=2..6 (best)"
    print(head)
    for role, q in report.items():
        sil = " ".join(f"{q.silhouette.get(k, float('nan')):.2f}" for k in range(2, 7))
        best = max(q.silhouette, key=q.silhouette.__getitem__) if q.silhouette else "-"
        print(
            f"{role:9s} {q.n:5d} {q.k:2d} {q.ari:8.3f} {q.ari_distinct:12.3f} {q.distinct_share:6.2f} "
            f"{q.k_schedule:6d} {q.ari_schedule:10.3f} {q.purity_schedule:7.3f} {q.ari_intent:7.3f} ({q.n_intents})"
            f"  {sil} ({best})"
        )

    space = LatentSpace.fit(utterances, embedder, config, k={r: q.k for r, q in report.items()})
    print("\nclusters (k = number of strategies): key phrases | nearest exemplar")
    for role, labels in label_space(space, embedder, n_exemplars=1).items():
        for c in labels:
            print(f"  {role:9s} {c.title():60s} | {c.exemplars[0][:90]}")

    distinct = {r: q.ari_distinct for r, q in report.items()}
    every = {r: q.ari for r, q in report.items()}
    fields = [f"ari_min={min(distinct.values()):.3f}", f"ari_mean={np.mean(list(distinct.values())):.3f}"]
    fields += [f"ari_{r}={v:.3f}" for r, v in distinct.items()]
    fields += [f"ari_all_min={min(every.values()):.3f}", f"ari_all_mean={np.mean(list(every.values())):.3f}"]
    fields += [f"ari_all_{r}={v:.3f}" for r, v in every.items()]
    fields += [f"ari_lspo_k_{r}={q.ari_schedule:.3f}" for r, q in report.items()]
    return fields


def rpssl(args: argparse.Namespace, embedder: CachedEmbedder, config: ClusterConfig) -> list[str]:
    """The RPSSL table (k = 5 per side vs the move played); returns the RESULT fields."""
    start = time.perf_counter()
    scenario = scripted_scenario(RPSSL_SCENARIO)
    utterances = play_utterances(scenario, games=args.rpssl_games, seed=args.seed)
    played = time.perf_counter() - start
    start, misses = time.perf_counter(), embedder.misses
    ks = range(5, 11)
    report = label_quality(utterances, embedder, config, ks=ks)
    clustered = time.perf_counter() - start
    pairs = len(scenario.agents) * (len(scenario.agents) - 1)
    print(
        f"RPSSL: {len(utterances)} statements from {pairs * args.rpssl_games} scripted matches in {played:.1f} s; "
        f"embedding + clustering {clustered:.1f} s ({embedder.misses - misses} texts embedded)\n"
    )
    print(f"{'side':5s} {'n':>5s} {'k':>2s} {'ARI':>6s} {'purity':>7s}  purity k={ks.start}..{ks.stop - 1}")
    for side, q in report.items():
        by_k = " ".join(f"{q.purity_by_k[k]:.3f}" for k in ks)
        print(f"{side:5s} {q.n:5d} {q.k:2d} {q.ari:6.3f} {q.purity:7.3f}  {by_k}")

    fields = [f"rpssl_ari={min(q.ari for q in report.values()):.3f}"]
    fields += [f"rpssl_purity={min(q.purity for q in report.values()):.3f}"]
    fields += [f"rpssl_ari_{s}={q.ari:.3f}" for s, q in report.items()]
    fields += [f"rpssl_purity_{s}={q.purity:.3f}" for s, q in report.items()]
    return fields


PARTS = {"werewolf": werewolf, "rpssl": rpssl}
"""Part name -> the function that runs it and returns its RESULT fields."""


if __name__ == "__main__":
    main()
