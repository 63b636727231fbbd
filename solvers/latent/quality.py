"""Does clustering recover known strategies? ARI and silhouette on scripted transcripts.

Scripted agents label every utterance with their strategy (``meta["label"]``, e.g. ``werewolf:fake_seer``)
and its intent (``meta["intent"]``). Per role, the utterances are clustered with k = the number of the
role's strategies, and the clustering is compared with the labels by the adjusted Rand index (ARI: 1 for
the same partition, about 0 for chance).

Some turns cannot reveal a strategy: a hidden Seer who found a wolf reveals exactly as a revealing Seer
does, and a fake-Seer wolf whose teammate has not claimed yet lies low like a lie-low wolf. So two
figures: ``ari`` on every utterance, and ``ari_distinct`` on the utterances whose intent is
characteristic of the speaker's own strategy (the intent is mostly used by that strategy, by
per-strategy rate); the clustering is always fit on all of the role's utterances.

:func:`label_quality` is the plain version for games whose labels are one per utterance and all
recoverable (RPSSL: the label is the move the statement plays): ARI and purity at k = number of labels,
and purity at larger k (a space with a few more clusters than moves may still keep each cluster to one).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from arena.runner import play_match
from arena.scenario import Scenario, load_scenario
from arena.schedule import build_schedule
from arena.tournament import build_agents, resolve
from solvers.latent.cluster import ClusterConfig, kmeans, silhouette_by_k
from solvers.latent.embed import Embedder
from solvers.latent.utterances import Utterance, by_role, utterances_from_events

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SCRIPTED_SCENARIO = SCENARIOS / "werewolf_scripted.yaml"
RPSSL_SCENARIO = SCENARIOS / "rpssl_scripted.yaml"
SCRIPTED_KINDS: tuple[str, ...] = ("scripted", "rpssl_scripted")
"""Agent kinds that label their speech (``meta["label"]``): Werewolf's and RPSSL's scripted agents."""


def scripted_scenario(path: str | Path = SCRIPTED_SCENARIO, kinds: Collection[str] = SCRIPTED_KINDS) -> Scenario:
    """A scenario's tournament with only its scripted agents (``kinds``), so every utterance is labelled."""
    scenario = load_scenario(path)
    agents = [a.model_dump() for a in scenario.agents if a.kind in kinds]
    return load_scenario(path, {"agents": agents})


def play_utterances(scenario: Scenario, games: int | None = None, seed: int | None = None) -> list[Utterance]:
    """Play the scenario's tournament in memory (no run directory) and return all its speech."""
    scenario = resolve(scenario, games, seed)
    config = scenario.game_config()

    async def play_all() -> list[Utterance]:
        found: list[Utterance] = []
        for spec in build_schedule(scenario):
            record, events = await play_match(spec, scenario.game_spec, config, build_agents(scenario, spec))
            if record.status != "done" or record.outcome is None:
                raise RuntimeError(f"scripted match {spec.index} failed: {record.error}")
            found += utterances_from_events(events, match_id=record.match_id, roles=record.outcome["roles"])
        return found

    return asyncio.run(play_all())


def characteristic(utterances: Iterable[Utterance]) -> list[bool]:
    """Per utterance: is its intent characteristic of its speaker's strategy within the role?

    ``share(intent, s) = P(intent | s) / sum_s' P(intent | s')`` over the role's strategies (rates, so a
    strategy heard more often does not own every intent); an utterance is characteristic when its own
    strategy has the strictly highest share of its intent.
    """
    utterances = list(utterances)
    per_label = Counter((u.role, u.label) for u in utterances)
    pair = Counter((u.role, u.label, u.intent) for u in utterances)
    labels_of: dict[str | None, set[str | None]] = {}
    for role, label in per_label:
        labels_of.setdefault(role, set()).add(label)

    def rate(role: str | None, label: str | None, intent: str | None) -> float:
        return pair[role, label, intent] / per_label[role, label]

    keep = []
    for u in utterances:
        own = rate(u.role, u.label, u.intent)
        keep.append(all(own > rate(u.role, s, u.intent) for s in labels_of[u.role] if s != u.label))
    return keep


def purity(truth: np.ndarray, pred: np.ndarray) -> float:
    """Share of points whose cluster's most common true class is their own (1: every cluster is pure)."""
    truth, pred = np.asarray(truth), np.asarray(pred)
    return float(sum(np.bincount(truth[pred == c]).max() for c in np.unique(pred)) / len(truth))


@dataclass(frozen=True)
class RoleQuality:
    """How well one role's clusters match the scripted strategies."""

    role: str
    n: int  # utterances
    strategies: tuple[str, ...]  # the labels seen, sorted
    k: int  # clusters used (the number of strategies)
    ari: float  # vs the speaker's strategy, all utterances
    ari_distinct: float  # vs the strategy, on utterances characteristic of it
    distinct_share: float  # share of utterances counted in ari_distinct
    ari_intent: float  # k = number of intents, vs the intent
    n_intents: int
    k_schedule: int  # LSPO's k for the role at iteration 0 (werewolf 3, others 2)
    ari_schedule: float  # vs the strategy, with k = k_schedule
    purity_schedule: float  # share of utterances in a cluster whose majority strategy is their own
    silhouette: dict[int, float] = field(default_factory=dict)  # k -> mean silhouette


def strategy_quality(
    utterances: Sequence[Utterance],
    embedder: Embedder,
    config: ClusterConfig | None = None,
    ks: Iterable[int] = range(2, 7),
) -> dict[str, RoleQuality]:
    """Cluster each role's labelled utterances with k = its number of strategies; compare with the labels."""
    config = config or ClusterConfig()
    labelled = [u for u in utterances if u.label is not None]
    distinct = dict(zip(map(id, labelled), characteristic(labelled), strict=True))
    report = {}
    for role, group in by_role(labelled).items():
        vectors = embedder.encode(config.prepare([u.text for u in group]))  # (n, dim)
        strategies = sorted({str(u.label) for u in group})
        intents = sorted({str(u.intent) for u in group})
        run = dict(seed=config.seed, n_init=config.n_init, max_iter=config.max_iter)
        pred = kmeans(vectors, len(strategies), **run).labels
        truth = np.array([strategies.index(str(u.label)) for u in group])
        keep = np.array([distinct[id(u)] for u in group])
        by_intent = kmeans(vectors, len(intents), **run).labels
        k_schedule = config.k(role, 0)
        scheduled = kmeans(vectors, k_schedule, **run).labels
        report[role] = RoleQuality(
            role=role,
            n=len(group),
            strategies=tuple(strategies),
            k=len(strategies),
            ari=float(adjusted_rand_score(truth, pred)),
            ari_distinct=float(adjusted_rand_score(truth[keep], pred[keep])) if keep.any() else float("nan"),
            distinct_share=float(keep.mean()),
            ari_intent=float(adjusted_rand_score([str(u.intent) for u in group], by_intent)),
            n_intents=len(intents),
            k_schedule=k_schedule,
            ari_schedule=float(adjusted_rand_score(truth, scheduled)),
            purity_schedule=purity(truth, scheduled),
            silhouette=silhouette_by_k(vectors, ks, seed=config.seed, n_init=config.n_init),
        )
    return report


@dataclass(frozen=True)
class LabelQuality:
    """How well one role's clusters match a label that every utterance carries (RPSSL: its move)."""

    role: str
    n: int  # labelled utterances
    labels: tuple[str, ...]  # the labels seen, sorted
    k: int  # clusters used (the number of labels)
    ari: float  # vs the label
    purity: float  # share of utterances in a cluster whose majority label is their own
    purity_by_k: dict[int, float] = field(default_factory=dict)  # k -> purity with k clusters


def label_quality(
    utterances: Sequence[Utterance],
    embedder: Embedder,
    config: ClusterConfig | None = None,
    ks: Iterable[int] = range(5, 11),
) -> dict[str, LabelQuality]:
    """Cluster each role's labelled utterances with k = its number of labels; ARI and purity vs the labels,
    and purity for each k in ``ks``."""
    config = config or ClusterConfig()
    run = dict(seed=config.seed, n_init=config.n_init, max_iter=config.max_iter)
    report = {}
    for role, group in by_role([u for u in utterances if u.label is not None]).items():
        vectors = embedder.encode(config.prepare([u.text for u in group]))  # (n, dim)
        labels = sorted({str(u.label) for u in group})
        truth = np.array([labels.index(str(u.label)) for u in group])
        pred = kmeans(vectors, len(labels), **run).labels
        report[role] = LabelQuality(
            role=role,
            n=len(group),
            labels=tuple(labels),
            k=len(labels),
            ari=float(adjusted_rand_score(truth, pred)),
            purity=purity(truth, pred),
            purity_by_k={k: purity(truth, kmeans(vectors, k, **run).labels) for k in ks},
        )
    return report
