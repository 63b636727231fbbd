"""`arena lspo`: the LSPO loop, one resumable step at a time.

Per iteration ``i`` (model ``M_0`` is the scenario's LLM agent, ``M_{i+1}`` the DPO checkpoint of
iteration ``i``), all under ``RUN_DIR/iter_<i>/``:

1. ``eval``: ``M_i`` against each fixed opponent (``sides`` tournaments, same seed every iteration):
   win rate per side with Wilson intervals, plus game figures (RPSSL: exploitability of what it says);
2. ``selfplay``: every seat is ``M_i``, writing N candidates per speaking turn and saying one at random;
3. ``latent``: k-means per role over every candidate (k from the LSPO schedule at iteration ``i``);
4. ``solve``: the abstract game over those latent strategies -> policy with per-strategy regrets;
5. ``dpo``: at each turn, a candidate of lower strategy regret is *chosen* over one of higher; TRL DPO
   from ``M_i`` -> ``M_{i+1}``.

After the last iteration ``M_I`` is evaluated once more (``iter_<I>/eval``). A finished step leaves
``<step>.json`` (its figures and wall-clock) and is skipped on a rerun; tournaments inside a step resume
match by match, so a killed run continues where it stopped. ``RUN_DIR/summary.json`` is rewritten after
every step.
"""

from __future__ import annotations

import gc
import json
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from arena.scenario import Scenario, ScenarioError, validate_scenario
from arena.tournament import run_tournament
from solvers.distill import Candidate, SpeakingTurn, preference_pairs, train_dpo
from solvers.latent.embed import CachedEmbedder, Embedder, MiniLMEmbedder
from solvers.latent.labels import label_role
from solvers.latent.space import LatentSpace
from solvers.latent.utterances import Utterance
from solvers.lspo.config import LSPOParams, Population, lspo_params
from solvers.lspo.empirical import empirical_values
from solvers.lspo.games import LSPO_GAMES
from solvers.lspo.ranking import frequencies, min_gap, preference
from solvers.lspo.turns import CandidateTurn, candidate_turns
from solvers.policy import LatentPolicy, latent_policy
from solvers.solve import Method, exploitability, nash_conv, solve

SUMMARY_FILE = "summary.json"
SAME_STRATEGY = 0.8  # cosine between centroids above which a cluster continues one of the previous iteration


class LSPORun:
    """One LSPO run directory; :meth:`run` plays every missing step."""

    def __init__(
        self, scenario: Scenario, run_dir: str | Path, *, embedder: Embedder | None = None, progress: bool = True
    ) -> None:
        self.scenario = scenario
        self.params: LSPOParams = lspo_params(scenario)
        if scenario.game not in LSPO_GAMES:
            raise ScenarioError(f"scenario {scenario.name!r}: `arena lspo` supports {', '.join(LSPO_GAMES)}")
        self.game = LSPO_GAMES[scenario.game]
        self.dir = Path(run_dir)
        self.progress = progress
        self._embedder = embedder
        self._cached: CachedEmbedder | None = None
        self.base_model = _model_dir(scenario.agent(self.params.agent).params["backend"])

    # ---- the loop --------------------------------------------------------------------------------
    def run(self, iterations: int | None = None) -> dict[str, Any]:
        self._claim_dir()
        total = iterations or self.params.iterations
        for i in range(total):
            self._step(i, "eval", lambda i=i: self._evaluate(i))
            self._step(i, "selfplay", lambda i=i: self._selfplay(i))
            self._step(i, "latent", lambda i=i: self._latent(i))
            self._step(i, "solve", lambda i=i: self._solve(i))
            self._step(i, "dpo", lambda i=i: self._dpo(i))
        self._step(total, "eval", lambda: self._evaluate(total))
        if self._cached is not None:
            self._cached.close()
        summary = self.summary(total)
        from arena.report.lspo import write_lspo_report

        write_lspo_report(self.dir)
        return summary

    def _step(self, i: int, name: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        marker = self._iter(i) / f"{name}.json"
        if marker.is_file():
            return json.loads(marker.read_text())
        if self.progress:
            print(f"lspo: iteration {i}: {name}", flush=True)
        start = time.perf_counter()
        figures = {**work(), "seconds": round(time.perf_counter() - start, 2)}
        _release_models()
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(json.dumps(figures, indent=1, allow_nan=False))
        tmp.replace(marker)  # the step counts as done only once its figures are complete on disk
        self.summary(None)
        return figures

    # ---- steps -------------------------------------------------------------------------------------
    def _evaluate(self, i: int) -> dict[str, Any]:
        agent, figures, runs = self.params.agent, {}, []
        for opponent in self.params.eval.opponents:
            entries = [self._trained_entry(i), self.scenario.agent(opponent).model_dump()]
            if self.params.eval.identify is not None:  # the probe: scored, so the games play out the same
                entries[0]["params"]["identify"] = self.params.eval.identify.model_dump()
            if opponent == agent:  # the base model as opponent: keep it under another name
                entries[1]["name"] = f"{opponent}-base"
            run = self._iter(i) / f"eval_{opponent}"
            tournament = {"format": "sides", "games_per_pairing": self.params.eval.games_per_pairing}
            tournament |= {
                "seed": self.params.eval.seed,
                "self_play": False,
                "concurrency": self.params.eval.concurrency,
            }
            summary = run_tournament(self._scenario(f"eval-{i}-{opponent}", entries, tournament), run, progress=False)
            _require_all_done(summary, run)
            row = next(r for r in summary["leaderboard"] if r["agent"] == agent)
            figures[opponent] = {
                "games": row["games"],
                "wins": row["wins"],
                "win_rate": row["win_rate"],
                "ci": row["ci"],
                "sides": summary["sides"].get(agent, {}),
            }
            runs.append(run)
        return {"model": str(self._model(i)), "opponents": figures, **self.game.evaluate(self.scenario, runs, agent)}

    def _selfplay(self, i: int) -> dict[str, Any]:
        entry = self._trained_entry(i)
        entry["params"]["selfplay_candidates"] = self.params.selfplay.candidates
        tournament = {"format": "mixed", "games": self.params.selfplay.games}
        tournament |= {"seed": self.params.selfplay.seed + i, "concurrency": self.params.selfplay.concurrency}
        summary = run_tournament(
            self._scenario(f"selfplay-{i}", [entry], tournament), self._selfplay_dir(i), progress=self.progress
        )
        _require_all_done(summary, self._selfplay_dir(i))
        turns = candidate_turns(self._selfplay_dir(i) / "records.sqlite")
        return {
            "games": summary["run"]["matches_done"],
            "errors": summary["run"]["matches_error"],
            "speaking_turns": len(turns),
            "candidates": sum(len(t.texts) for t in turns),
            "distinct_candidates": len({text for t in turns for text in t.texts}),
        }

    def _latent(self, i: int) -> dict[str, Any]:
        turns = self._population(i)
        utterances = [Utterance(text, t.speaker, t.role, match_id=t.match_id) for t in turns for text in t.texts]
        space = LatentSpace.fit(utterances, self._embed(), self.params.cluster, iteration=i)
        space.save(self._iter(i) / "latent")
        previous = self._space(i - 1) if i > 0 else None
        clusters = {}
        for role, rs in space.roles.items():
            matches = (
                _continuing(rs.centroids, previous.roles[role].centroids)
                if previous and role in previous.roles
                else [None] * rs.k
            )
            clusters[role] = [
                {"id": label.cluster, "title": label.title(), "frequency": label.frequency, "size": label.size,
                 "exemplars": list(label.exemplars), "previous": matches[label.cluster]}
                for label in label_role(space, role, self._embed())
            ]  # fmt: skip
        return {"k": {role: rs.k for role, rs in space.roles.items()}, "clusters": clusters}

    def _solve(self, i: int) -> dict[str, Any]:
        space = self._space(i)
        solver = self.params.solver
        turns = self._population(i)
        game = self.game.abstract(self.scenario, space, turns, solver.shaped_reward)
        result = solve(game, solver.method, iterations=solver.iterations, seed=self.params.selfplay.seed + i)
        policy = latent_policy(game, result, seed=i)
        policy.save(self._iter(i) / "policy.json")
        figures: dict[str, Any] = {"method": str(result.method), "iterations": result.iterations}
        if Method(result.method) in (Method.CFR, Method.CFR_PLUS):
            figures["nash_conv"] = nash_conv(result.game or game, result.average_policy)
            if game.num_players() == 2:
                figures["exploitability"] = exploitability(result.game or game, result.average_policy)
        figures["marginal"] = {role: s.marginal for role, s in policy.roles.items()}
        figures["strategy_regret"] = {role: s.strategy_regret for role, s in policy.roles.items()}
        figures["empirical"] = {role: v.as_dict() for role, v in empirical_values(space, turns).items()}
        return figures

    def _dpo(self, i: int) -> dict[str, Any]:
        space, policy = self._space(i), LatentPolicy.load(self._iter(i) / "policy.json")
        empirical = json.loads((self._iter(i) / "solve.json").read_text()).get("empirical", {})
        ranking = self.params.ranking
        turns = [t for t in self._turns(i) if t.prompt is not None]
        speaking, latents = [], defaultdict(list)
        for t in turns:
            assigned = [int(z) for z in space.assign(list(t.texts), t.role)]
            latents[t.role] += assigned
            candidates = tuple(Candidate(c, z) for c, z in zip(t.completions, assigned, strict=True))
            speaking.append(SpeakingTurn(t.prompt, t.role, candidates))
        frequency = frequencies(latents, {role: space.k(role) for role in space.roles})
        score = preference(ranking, policy, self.game.policy_role, empirical, frequency)
        pairs = preference_pairs(speaking, score, min_gap=min_gap(ranking))
        if len(pairs) > self.params.max_pairs:
            keep = np.random.default_rng(self.params.selfplay.seed + i).choice(
                len(pairs), self.params.max_pairs, replace=False
            )
            pairs = [pairs[j] for j in sorted(keep)]
        if not pairs:  # every candidate's strategy scored the same: nothing to prefer, the model carries over
            return {"ranking": str(ranking), "pairs": 0, "steps": 0, "train_loss": None,
                    "checkpoint": self._stored(self._model(i))}  # fmt: skip
        result = train_dpo(self._model(i), pairs, self._iter(i) / "checkpoint", self.params.dpo)
        return {
            "ranking": str(ranking),
            "pairs": result.pairs,
            "steps": result.steps,
            "train_loss": result.train_loss,
            "checkpoint": self._stored(result.checkpoint),
        }

    # ---- helpers -----------------------------------------------------------------------------------
    def _iter(self, i: int) -> Path:
        path = self.dir / f"iter_{i}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _selfplay_dir(self, i: int) -> Path:
        return self._iter(i) / "selfplay"

    def _turns(self, i: int) -> list[CandidateTurn]:
        return candidate_turns(self._selfplay_dir(i) / "records.sqlite")

    def _population(self, i: int) -> list[CandidateTurn]:
        """The turns the latent space and the abstract game of iteration ``i`` are built from."""
        if self.params.population is Population.ALL:
            return [t for j in range(i + 1) for t in self._turns(j)]
        return self._turns(i)

    def _space(self, i: int) -> LatentSpace:
        return LatentSpace.load(self._iter(i) / "latent", embedder=self._embed())

    def _embed(self) -> CachedEmbedder:
        if self._cached is None:
            self._cached = CachedEmbedder(self._embedder or MiniLMEmbedder(), store=self.dir / "embeddings.sqlite")
        return self._cached

    def _model(self, i: int) -> Path:
        """``M_i``: the base model, or the checkpoint the previous iteration's DPO step left."""
        if i == 0:
            return self.base_model
        return self.dir / json.loads((self._iter(i - 1) / "dpo.json").read_text())["checkpoint"]

    def _stored(self, model: Path) -> str:
        """A model path as ``dpo.json`` keeps it: relative to the run directory when inside it, so the run
        resumes from any working directory and after the directory moves (an outside path stays absolute)."""
        try:
            return str(Path(model).resolve().relative_to(self.dir.resolve()))
        except ValueError:
            return str(Path(model).resolve())

    def _trained_entry(self, i: int) -> dict[str, Any]:
        entry = self.scenario.agent(self.params.agent).model_dump()
        if i > 0:  # M_0 keeps the scenario's backend (shared with other seats); later models load their checkpoint
            base = {k: v for k, v in entry["params"]["backend"].items() if k not in ("type", "path")}
            entry["params"]["backend"] = {**base, "type": "local", "path": str(self._model(i))}
        return entry

    def _scenario(self, suffix: str, agents: list[dict[str, Any]], tournament: dict[str, Any]) -> Scenario:
        data = {"name": f"{self.scenario.name}-{suffix}", "game": self.scenario.game, "config": self.scenario.config}
        return validate_scenario({**data, "agents": agents, "tournament": tournament}, f"lspo {suffix}")

    def _claim_dir(self) -> None:
        """Write the scenario into a new run directory; refuse a directory that holds another scenario."""
        self.dir.mkdir(parents=True, exist_ok=True)
        stamp = self.dir / "scenario.json"
        digest = self.scenario.digest()
        if stamp.is_file() and json.loads(stamp.read_text())["digest"] != digest:
            raise ScenarioError(f"{self.dir}: holds an LSPO run of a different scenario; use another --out")
        stamp.write_text(json.dumps({"digest": digest, "scenario": self.scenario.canonical()}, indent=1))

    def summary(self, total: int | None) -> dict[str, Any]:
        """Gather every finished step's figures into ``summary.json`` (the report reads it)."""
        per_iteration = []
        for path in sorted(self.dir.glob("iter_*"), key=lambda p: int(p.name.split("_")[1])):
            entry: dict[str, Any] = {"iteration": int(path.name.split("_")[1])}
            seconds = {}
            for step in ("eval", "selfplay", "latent", "solve", "dpo"):
                marker = path / f"{step}.json"
                figures = json.loads(marker.read_text()) if marker.is_file() else None
                if figures is not None:
                    seconds[step] = figures.pop("seconds", None)
                entry[step] = figures
            entry["model"] = (entry["eval"] or {}).get("model")
            entry["seconds"] = seconds
            per_iteration.append(entry)
        summary = {
            "scenario": self.scenario.name,
            "game": self.scenario.game,
            "agent": self.params.agent,
            "iterations": total or self.params.iterations,
            "per_iteration": per_iteration,
        }
        (self.dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=1, allow_nan=False))
        return summary


def _release_models() -> None:
    """Drop every loaded LLM backend (weights, prefix cache: ~2.5 GiB each) once a step is done. Backends are
    shared per config for the whole process, so each iteration's checkpoint would otherwise stay loaded
    for the rest of the run; a later step reloads what it needs in about a second."""
    from agents.llm.config import shared_backend

    shared_backend.cache_clear()
    gc.collect()


def _require_all_done(summary: dict[str, Any], run: Path) -> None:
    """A step counts as finished only when every match of its tournament finished: an errored match is
    retried by the rerun (finished matches are kept), instead of leaving figures from part of the games."""
    errored = summary["run"]["matches_error"]
    if errored:
        raise RuntimeError(
            f"{run}: {errored} match(es) errored (reasons in its records and report); "
            "rerun the same `arena lspo` command to retry them"
        )


def _continuing(current: np.ndarray, previous: np.ndarray) -> list[int | None]:
    """For each current centroid, the previous iteration's most similar one if their cosine is high enough."""
    a = current / np.linalg.norm(current, axis=1, keepdims=True)
    b = previous / np.linalg.norm(previous, axis=1, keepdims=True)
    cosine = a @ b.T  # (k_now, k_before)
    best = cosine.argmax(axis=1)
    return [int(j) if cosine[c, j] >= SAME_STRATEGY else None for c, j in enumerate(best)]


def _model_dir(backend: dict[str, Any]) -> Path:
    """The trainable weights behind an ``llm`` agent's backend config."""
    if backend.get("type") == "embedded":
        from agents.llm.embedded import embedded_model_dir

        return Path(embedded_model_dir())
    if backend.get("type") == "local":
        return Path(backend["path"])
    raise ScenarioError(
        f"lspo.agent: backend type {backend.get('type')!r} has no local weights to train (embedded or local)"
    )


def summary_of(run_dir: str | Path) -> dict[str, Any] | None:
    path = Path(run_dir) / SUMMARY_FILE
    return json.loads(path.read_text()) if path.is_file() else None
