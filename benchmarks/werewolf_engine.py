"""Werewolf speed: complete 7-player games per second with random agents, side by side.

Three ways to play the same kind of game in one run, each for a fixed wall-clock budget (the systems
take turns in short slices of it):

(a) the rules engine alone (``WerewolfState``: ``legal_targets`` / ``choose`` / ``speak``), no text;
(b) the PettingZoo AEC env (``latent_arena/werewolf-v0``), random legal moves read from the observation's
    mask, the observation (text included) built at every move as an RL loop would;
(c) TextArena's ``SecretMafia-v0`` (7 players: 2 Mafia, Doctor, Detective, 3 Villagers, the same mix),
    random agents that read the valid targets from the observation text, so every move is legal.

Both sides use the same number of discussion rounds per day (``--discussion-rounds``; TextArena's
registered default is 3, the LSPO rules have 1); other rule differences are listed in
``benchmarks/README.md``. The last line is machine-readable:
``RESULT engine_games_per_s=... env_games_per_s=... textarena_games_per_s=...``.

Run: ``.venv/bin/python -m benchmarks.werewolf_engine --seconds 10`` (needs ``textarena``, see README).
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pettingzoo

import games  # noqa: F401  (registers latent_arena/werewolf-v0)
from games.werewolf import Phase, WerewolfConfig, new_game

N_PLAYERS = 7
LINE = "I have nothing to add."
TEXTARENA_INSTALL = ".venv/bin/pip install textarena torch==2.13.0"
T = TypeVar("T")


@dataclass
class Measure:
    """Totals for one system over all its slices: wall-clock and this process's CPU seconds."""

    name: str
    games: int = 0
    moves: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def games_per_s(self) -> float:
        return self.games / self.seconds


def run_slice(m: Measure, play_one: Callable[[int], int], seconds: float) -> None:
    """Play whole games (seed = the system's game index) until ``seconds`` pass; no game is cut short."""
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        m.moves += play_one(m.games)
        m.games += 1
    m.seconds += time.perf_counter() - start
    m.cpu_seconds += time.process_time() - cpu


def pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    """A uniform choice; ``rng.random()`` costs a fifth of ``rng.integers`` and a tenth of ``rng.choice``,
    and every system's random agent uses it, so agent overhead is small and equal."""
    return options[int(rng.random() * len(options))]


def engine_game(config: WerewolfConfig) -> Callable[[int], int]:
    # One stream for the rules and one for the agents over the whole run, as a solver's rollouts would
    # use them (a fresh Generator per game costs about as much as ten moves).
    rules, agent = np.random.default_rng(0), np.random.default_rng(1)
    discussion = Phase.DAY_DISCUSSION  # a local: enum member lookups cost ~60 ns in Python 3.11

    def play(_game: int) -> int:
        state = new_game(config, rules)
        moves = 0
        while not state.is_over:
            p = state.to_act()[0]
            if state.phase is discussion:
                state.speak(p, LINE)
            else:
                state.choose(p, pick(agent, state.legal_targets(p)))
            moves += 1
        return moves

    return play


def env_game(config: WerewolfConfig, action_format: str) -> Callable[[int], int]:
    env = pettingzoo.make("aec", "latent_arena/werewolf-v0", action_format=action_format, **config.model_dump())
    agent = np.random.default_rng(1)

    def play(seed: int) -> int:
        env.reset(seed=seed)
        moves = 0
        for _ in env.agent_iter():
            obs, _, terminated, _, _ = env.last()
            if terminated:
                env.step(None)
                continue
            if action_format == "discrete":
                action = int(pick(agent, obs["action_mask"].nonzero()[0]))
            else:
                legal = obs["legal_mask"].nonzero()[0]
                choice = int(pick(agent, legal)) if legal.size else None
                action = LINE if choice is None else "abstain" if choice == env.n else f"player_{choice}"
            env.step(action)
            moves += 1
        assert env.session.is_over()
        return moves

    return play


# SecretMafia's prompts (textarena/envs/SecretMafia/env.py, _send_phase_prompts): the latest one a player saw
# names the current phase; all but the discussion list the valid targets as "[i]" on the same line.
_TA_PROMPTS = ("Valid targets: ", "choose one player to protect: ", "choose one player to investigate: ", "Valid: ")
_TA_DISCUSSION = "Day breaks."
_TA_TARGET = re.compile(r"\[(\d+)\]")


def textarena_game(discussion_rounds: int) -> Callable[[int], int]:
    try:
        import textarena as ta
    except ImportError as exc:
        raise SystemExit(f"textarena is not installed: {TEXTARENA_INSTALL}") from exc

    def random_legal(obs: str, rng: np.random.Generator) -> str:
        where, marker = max((obs.rfind(m), m) for m in (*_TA_PROMPTS, _TA_DISCUSSION))
        if marker == _TA_DISCUSSION:
            return LINE
        end = obs.find("\n", where)
        line = obs[where:] if end < 0 else obs[where:end]
        return f"[{pick(rng, _TA_TARGET.findall(line))}]"

    agent = np.random.default_rng(1)

    def play(seed: int) -> int:
        # A fresh env per game: LLMObservationWrapper keeps its history across reset().
        env = ta.make("SecretMafia-v0", discussion_rounds=discussion_rounds)
        env.reset(num_players=N_PLAYERS, seed=seed)
        done, moves = False, 0
        while not done:
            _, obs = env.get_observation()
            done, _ = env.step(random_legal(obs, agent))
            moves += 1
        _, game_info = env.close()
        invalid = [p for p, info in game_info.items() if info["invalid_move"]]
        assert not invalid, f"random agent played an invalid move in game {seed}: players {invalid}"
        return moves

    return play


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="wall-clock budget per system")
    parser.add_argument("--slices", type=int, default=10, help="the budget is played in this many turns")
    parser.add_argument("--discussion-rounds", type=int, default=3, help="speaking turns per player per day")
    args = parser.parse_args()
    config = WerewolfConfig(n_players=N_PLAYERS, discussion_rounds=args.discussion_rounds)
    systems = {
        "rules engine": engine_game(config),
        "PettingZoo env (text)": env_game(config, "text"),
        "PettingZoo env (discrete)": env_game(config, "discrete"),
        "TextArena SecretMafia-v0": textarena_game(args.discussion_rounds),
    }
    results = {name: Measure(name) for name in systems}
    # Systems take turns in short slices, so a busy neighbour on a shared machine slows all of them alike.
    for _ in range(args.slices):
        for name, play in systems.items():
            run_slice(results[name], play, args.seconds / args.slices)

    textarena = results["TextArena SecretMafia-v0"].games_per_s
    print(
        f"{N_PLAYERS} players, {args.discussion_rounds} discussion round(s) a day, random agents, "
        f"{args.seconds:g} s each in {args.slices} slices"
    )
    print(f"{'system':<28}{'games':>7}{'games/s':>10}{'games/cpu-s':>13}{'moves/game':>12}{'x TextArena':>13}")
    for r in results.values():
        print(
            f"{r.name:<28}{r.games:>7}{r.games_per_s:>10.2f}{r.games / r.cpu_seconds:>13.2f}"
            f"{r.moves / r.games:>12.1f}{r.games_per_s / textarena:>13.2f}"
        )
    engine, env = results["rules engine"].games_per_s, results["PettingZoo env (text)"].games_per_s
    print(f"RESULT engine_games_per_s={engine:.2f} env_games_per_s={env:.2f} textarena_games_per_s={textarena:.2f}")


if __name__ == "__main__":
    main()
