"""Deep CFR with sampled probes: regret and average-strategy networks for games too big for tables.

Deep CFR (Brown, Lerer, Gross & Sandholm, ICML 2019, arXiv 1811.00164), cut down to run the full
7-player abstract Werewolf game on one CPU core:

- **Traversals.** Per iteration ``t`` and player ``p``, ``traversals`` sampled histories. Chance and the
  other players sample their moves (the others by regret matching on their advantage networks, as in
  the paper); the traverser moves uniformly, so its information states are met in proportion to the
  others' reach, as under external sampling. At each of its decisions every legal action ``a`` is
  valued by one *probe*, a playout of ``h·a`` to the end with everyone on regret matching (probing:
  Gibson, Lanctot, Burch, Szafron & Bowling, AAAI 2012). The sampled regret ``v(a) − Σ_b σ(b) v(b)``
  (divided by the utility bound) goes to ``p``'s advantage memory. External sampling recurses into every
  action instead: ~8 s for one traversal of the 7-player game (measured); probes are linear in its length.
- **Advantage networks** are refit from scratch after each player's traversals on a reservoir memory,
  the loss weighted by ``t`` (linear CFR, as in the paper). An untrained player plays uniformly
  (tabular CFR's first iterate); with no positive advantage, regret matching plays the argmax (the paper's).
- **Average strategy.** The other players' regret-matching policies at sampled states go to a strategy
  memory; the strategy network is fit to it by ``t``-weighted cross-entropy over legal actions, whose
  minimiser at a state is the ``t``-weighted mean policy there (linear CFR's average).
- **Batching.** Traversals, probes and playouts run in lockstep: each network is called once per step
  for every state it decides (one forward of 64 states costs ~7× one of a single state on CPU).

Not OpenSpiel's ``open_spiel.python.pytorch.deep_cfr.DeepCFRSolver``: it runs n-player Python games,
but by external sampling (above), and with full-batch training its ``ReservoirBuffer.shuffle`` permutes
each field separately, so info states lose their targets (106 of 1,604 pairs kept, open_spiel 2.0.2).

:meth:`DeepCFR.result` plays ``playouts`` games of the average policy. Every information state met gets
the strategy network's policy (the table that a latent-policy agent reads), its visit count, and the
advantage network's prediction ``A(I, a)``, stored as ``T · visits(I)/playouts · A(I, a)``, so that
:func:`solvers.policy.latent_policy`'s per-role ``Σ_I R(I, z) / T`` is the expected advantage of ``z``
per game. Unlike tabular counterfactual regret (weighted by the others' reach only), it is weighted by
how often the role actually reaches ``I``.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyspiel
import torch
from torch import nn

from solvers.solve import Method, PolicyTable, SolveResult

Chooser = Callable[[int, list[pyspiel.State], np.ndarray, np.ndarray], np.ndarray]
"""``(player, states, tensors (B, width), legal mask (B, A)) -> move probabilities (B, A)``."""


@dataclass(frozen=True)
class DeepCFRConfig:
    """Budgets and sizes. Defaults: 7–9 s an iteration on the 7-player game on one shared core (measured)."""

    traversals: int = 16  # sampled histories per player and iteration
    hidden: tuple[int, ...] = (64, 64)  # MLP widths of every network
    advantage_steps: int = 100  # Adam steps to refit one advantage network, per iteration
    strategy_steps: int = 400  # Adam steps to fit the average-strategy network
    batch_size: int = 256
    learning_rate: float = 1e-3
    memory: int = 100_000  # reservoir capacity of each memory (rows; 7 players: 2.6 kB a row)
    playouts: int = 500  # games of the average policy that build the result's table


class Reservoir:
    """Rows ``(tensor, iteration, target, legal mask)``; past capacity, reservoir sampling keeps a uniform
    sample of every row ever added (Vitter 1985; as in Deep CFR). Arrays grow as needed; tensors are kept
    as float16 (exact for 0/1 and small integers, half the memory)."""

    def __init__(self, capacity: int, width: int, actions: int) -> None:
        self.capacity, self.added, self.size = capacity, 0, 0
        self.x = np.zeros((0, width), np.float16)
        self.t = np.zeros(0, np.float32)
        self.y = np.zeros((0, actions), np.float32)
        self.mask = np.zeros((0, actions), bool)

    def add(self, x: np.ndarray, t: int, y: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
        if self.size < self.capacity:
            row = self.size
            if row == len(self.t):  # grow by doubling, up to the capacity
                grow = max(64, min(row, self.capacity - row))
                grown = [np.concatenate([a, np.zeros((grow, *a.shape[1:]), a.dtype)]) for a in self._arrays()]
                self.x, self.t, self.y, self.mask = grown
            self.size += 1
        else:
            row = int(rng.integers(self.added + 1))
            if row >= self.capacity:
                self.added += 1
                return
        self.x[row], self.t[row], self.y[row], self.mask[row] = x, t, y, mask
        self.added += 1

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return self.x, self.t, self.y, self.mask

    def batch(self, rows: np.ndarray) -> tuple[torch.Tensor, ...]:
        """``(x, t / mean t, y, mask)`` of ``rows`` as tensors (weights normalised to mean 1)."""
        t = self.t[rows]
        return (
            torch.from_numpy(self.x[rows].astype(np.float32)),
            torch.from_numpy(t / t.mean()),
            torch.from_numpy(self.y[rows]),
            torch.from_numpy(self.mask[rows]),
        )


def mlp(sizes: list[int], seed: int) -> nn.Sequential:
    """ReLU MLP with layer ``sizes``, initialised from ``seed`` without touching torch's global generator."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(sizes[:-1]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(sizes[-2], sizes[-1]))
        return nn.Sequential(*layers)


def advantage_loss(out: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``t``-weighted squared error of the predicted regrets, legal actions only."""
    return (w[:, None] * mask * (out - y) ** 2).sum() / mask.sum()


def strategy_loss(out: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``t``-weighted cross-entropy of the target policies under the masked softmax of ``out``."""
    return -(w * (y * masked_log_softmax(out, mask)).sum(1)).mean()


def masked_log_softmax(out: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return out.masked_fill(~mask, -1e9).log_softmax(1)  # finite, so 0 · (illegal) stays 0


class DeepCFR:
    """Deep CFR on ``game`` (any number of players; it needs ``information_state_tensor``).

    Two calls, as OpenSpiel's solvers: ``run(iterations)`` (repeatable) then ``result()``.
    """

    def __init__(self, game: pyspiel.Game, config: DeepCFRConfig | None = None, seed: int = 0) -> None:
        self.game, self.config, self.seed = game, config or DeepCFRConfig(), seed
        self.rng = np.random.default_rng(seed)
        self.n, self.actions = game.num_players(), game.num_distinct_actions()
        self.width = game.information_state_tensor_size()
        self.scale = max(abs(game.min_utility()), abs(game.max_utility())) or 1.0  # regrets are fit in [-2, 2]
        memory = self.config.memory
        self.advantage_memory = [Reservoir(memory, self.width, self.actions) for _ in range(self.n)]
        self.strategy_memory = Reservoir(memory, self.width, self.actions)
        self.advantage: list[nn.Module | None] = [None] * self.n  # None: not trained yet (uniform play)
        self.advantage_loss = [float("nan")] * self.n
        self.strategy: nn.Module | None = None
        self.strategy_loss, self._strategy_at = float("nan"), -1
        self.iterations, self.seconds = 0, 0.0

    # ---- training ------------------------------------------------------------------------------
    def run(self, iterations: int) -> DeepCFR:
        start = time.perf_counter()
        for _ in range(iterations):
            t = self.iterations + 1
            for p in range(self.n):
                self._traverse(p, t)
                if self.advantage_memory[p].size:
                    self.advantage[p], self.advantage_loss[p] = self._fit(
                        self.advantage_memory[p], advantage_loss, self.config.advantage_steps
                    )
            self.iterations = t
        self.seconds += time.perf_counter() - start
        return self

    def _traverse(self, p: int, t: int) -> None:
        """``traversals`` histories for traverser ``p``, then one probe per action at each of its decisions."""
        nodes: list[tuple[np.ndarray, np.ndarray, np.ndarray, list[int], int]] = []  # x, mask, sigma, legal, probe
        probes: list[pyspiel.State] = []

        def choose(player: int, states: list[pyspiel.State], x: np.ndarray, mask: np.ndarray) -> np.ndarray:
            sigma = self._regret_matching(player, x, mask)
            if player != p:
                for row in range(len(states)):
                    self.strategy_memory.add(x[row], t, sigma[row], mask[row], self.rng)
                return sigma
            for row, state in enumerate(states):
                legal = state.legal_actions()
                nodes.append((x[row], mask[row], sigma[row], legal, len(probes)))
                probes.extend(state.child(a) for a in legal)
            return mask / mask.sum(1, keepdims=True)  # the traverser's path is uniform

        self._play([self.game.new_initial_state() for _ in range(self.config.traversals)], choose, self.rng)
        on_policy: Chooser = lambda player, states, x, mask: self._regret_matching(player, x, mask)  # noqa: E731
        values = np.array([s.returns()[p] for s in self._play(probes, on_policy, self.rng)]) / self.scale
        for x, mask, sigma, legal, first in nodes:
            v = values[first : first + len(legal)]
            regret = np.zeros(self.actions, np.float32)
            regret[legal] = v - sigma[legal] @ v
            self.advantage_memory[p].add(x, t, regret, mask, self.rng)

    def _fit(self, memory: Reservoir, loss_fn: Callable[..., torch.Tensor], steps: int) -> tuple[nn.Module, float]:
        """A fresh network fit to ``memory`` by Adam; returns it and its loss on up to 8,192 of its rows."""
        net = mlp([self.width, *self.config.hidden, self.actions], int(self.rng.integers(2**31)))
        optimizer = torch.optim.Adam(net.parameters(), lr=self.config.learning_rate, fused=True)  # fastest on CPU
        for _ in range(steps):
            rows = self.rng.integers(memory.size, size=min(self.config.batch_size, memory.size))
            x, w, y, mask = memory.batch(rows)
            loss = loss_fn(net(x), y, mask, w)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            rows = np.arange(memory.size) if memory.size <= 8192 else self.rng.choice(memory.size, 8192, replace=False)
            x, w, y, mask = memory.batch(rows)
            return net, float(loss_fn(net(x), y, mask, w))

    # ---- policies --------------------------------------------------------------------------------
    def _regret_matching(self, player: int, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """σ ``(B, A)``: positive predicted advantages, normalised; the argmax if none is positive."""
        net = self.advantage[player]
        if net is None:
            return mask / mask.sum(1, keepdims=True)
        with torch.inference_mode():
            adv = net(torch.from_numpy(x)).numpy()
        positive = np.where(mask, np.maximum(adv, 0.0), 0.0)
        total = positive.sum(1, keepdims=True)
        greedy = np.zeros_like(positive)
        greedy[np.arange(len(x)), np.where(mask, adv, -np.inf).argmax(1)] = 1.0
        return np.where(total > 0, positive / np.where(total > 0, total, 1.0), greedy)

    def _average(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The average-strategy network's policy ``(B, A)``, zero off the legal actions."""
        assert self.strategy is not None
        with torch.inference_mode():
            return masked_log_softmax(self.strategy(torch.from_numpy(x)), torch.from_numpy(mask)).exp().numpy() * mask

    def action_probabilities(self, state: pyspiel.State) -> dict[int, float]:
        """The average policy at ``state`` (after :meth:`result`); :data:`solvers.solve.StatePolicy`."""
        player, legal = state.current_player(), state.legal_actions()
        mask = np.zeros((1, self.actions), bool)
        mask[0, legal] = True
        probs = self._average(self._tensor(state, player)[None], mask)[0]
        return {a: float(probs[a]) for a in legal}

    @staticmethod
    def _tensor(state: pyspiel.State, player: int) -> np.ndarray:
        fast = getattr(state, "information_tensor", None)  # our abstract games: no list round trip
        return fast(player) if fast else np.asarray(state.information_state_tensor(player), np.float32)

    # ---- lockstep play -----------------------------------------------------------------------------
    def _play(self, states: list[pyspiel.State], choose: Chooser, rng: np.random.Generator) -> list[pyspiel.State]:
        """Play every state to its end, in place and in lockstep: each step, one ``choose`` call per player
        for all the states that player decides."""
        live = list(states)
        while live:
            for state in live:
                while state.is_chance_node():
                    outcomes, probs = zip(*state.chance_outcomes(), strict=True)
                    state.apply_action(outcomes[_sample(np.asarray(probs)[None], rng)[0]])
            live = [s for s in live if not s.is_terminal()]
            groups: dict[int, list[pyspiel.State]] = defaultdict(list)
            for state in live:
                groups[state.current_player()].append(state)
            for player, group in sorted(groups.items()):
                x = np.stack([self._tensor(s, player) for s in group])  # (B, width)
                mask = np.zeros((len(group), self.actions), bool)
                for row, state in enumerate(group):
                    mask[row, state.legal_actions()] = True
                for state, action in zip(group, _sample(choose(player, group, x, mask), rng), strict=True):
                    state.apply_action(int(action))
        return states

    # ---- result ------------------------------------------------------------------------------------
    def result(self) -> SolveResult:
        """Fit the average strategy (if not yet at this iteration) and tabulate it over sampled play."""
        start = time.perf_counter()
        if self._strategy_at != self.iterations and self.strategy_memory.size:
            steps = self.config.strategy_steps
            self.strategy, self.strategy_loss = self._fit(self.strategy_memory, strategy_loss, steps)
            self._strategy_at = self.iterations
        if self.strategy is None:
            raise ValueError("deep-cfr: no strategy samples yet; run at least one iteration")
        table: PolicyTable = {}
        advantage: PolicyTable = {}
        visits: Counter[str] = Counter()

        def record(player: int, states: list[pyspiel.State], x: np.ndarray, mask: np.ndarray) -> np.ndarray:
            probs = self._average(x, mask)
            net = self.advantage[player]
            with torch.inference_mode():
                adv = net(torch.from_numpy(x)).numpy() * self.scale if net is not None else np.zeros_like(probs)
            for row, state in enumerate(states):
                key = state.information_state_string(player)
                visits[key] += 1
                if key not in table:
                    legal = np.flatnonzero(mask[row])
                    table[key] = {int(a): float(probs[row, a]) for a in legal}
                    advantage[key] = {int(a): float(adv[row, a]) for a in legal}
            return probs

        rng = np.random.default_rng([self.seed, self.iterations])  # playouts leave the training stream alone
        ends = self._play([self.game.new_initial_state() for _ in range(self.config.playouts)], record, rng)
        per_game = self.iterations / self.config.playouts
        regret = {key: {a: per_game * visits[key] * v for a, v in adv.items()} for key, adv in advantage.items()}
        self.seconds += time.perf_counter() - start
        return SolveResult(
            Method.DEEP_CFR,
            self.iterations,
            self.seconds,
            table,
            regret,
            self.game,
            visits=dict(visits),
            policy=self.action_probabilities,
            diagnostics=self._diagnostics(ends),
        )

    def _diagnostics(self, ends: list[pyspiel.State]) -> dict[str, object]:
        """Losses, memory sizes, and the mean return of each seat and role in the result's playouts."""
        returns = np.array([s.returns() for s in ends])  # (playouts, n)
        by_role: dict[str, list[float]] = defaultdict(list)
        role_of = getattr(self.game, "player_role", lambda state, p: f"player_{p}")
        for state, row in zip(ends, returns, strict=True):
            for p in range(self.n):
                by_role[role_of(state, p)].append(float(row[p]))
        return {
            "traversals": self.config.traversals,
            "playouts": self.config.playouts,
            "advantage_loss": list(self.advantage_loss),
            "strategy_loss": self.strategy_loss,
            "advantage_samples": [m.size for m in self.advantage_memory],
            "strategy_samples": self.strategy_memory.size,
            "value_per_seat": returns.mean(0).tolist(),
            "value_per_role": {role: float(np.mean(v)) for role, v in sorted(by_role.items())},
        }


def _sample(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of ``probs`` ``(B, A)`` (rows need not be normalised); never a zero-probability one."""
    cumulative = probs.cumsum(1)
    u = rng.random(len(probs))[:, None] * cumulative[:, -1:]
    return (cumulative <= u).sum(1)  # the first index whose cumulative sum exceeds u
