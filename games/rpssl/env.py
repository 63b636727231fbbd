"""RPSSL as a PettingZoo AEC env, an adapter on top of :class:`RPSSLSession`.

Each round ``player_0`` then ``player_1`` acts; the second sees nothing of the first's statement before the
reveal (the session logs it for its speaker alone). Spaces follow the Werewolf env's conventions: the
observation is a ``Dict`` with the player's prompt (``"text"``, from ``session.observe``) and a numeric
view built from the same observation's data:

* ``player`` (seat), ``round`` (1-based), ``phase`` (index into :data:`PHASES`);
* ``history``: ``(rounds, 2)`` int8, per revealed round [own move, opponent's move] as indices into
  :data:`games.rpssl.rules.MOVES`, ``-1`` for a round not played yet (or a forfeit);
* ``totals``: ``(2,)`` int16, [own total, opponent's total].

Two action formats (``action_format=``):

* ``"text"`` (default): ``Text`` actions, the statement itself; the session's parser reads the move.
* ``"discrete"``: ``Discrete(5)`` with an ``"action_mask"``; index ``i`` says the canonical sentence of
  ``MOVES[i]`` (:data:`MOVE_SENTENCE`), whose intent is recorded in the statement's ``meta``.

Moves outside the action space never crash the env (``api_test`` sends random strings): speech that is
not a string is an empty statement, speech outside the ``Text`` space is cut at :data:`MAX_SPEECH`
characters with each character outside :data:`CHARSET` replaced by ``"?"``, and a discrete index out of
range or masked says nothing; each such repair is counted in ``infos[agent]["fallbacks"]``. A statement
without a clear move is the rules' business (``RPSSLConfig.fallback``), counted in
``infos[agent]["no_move"]``. Rewards are 0 during play and the match score (+1, -1, 0) at the end.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv

from games.base import Action
from games.env_common import (
    ACTION_FORMATS,
    CHARSET,
    MAX_SPEECH,
    OUTSIDE_CHARSET,
    RENDER_MODES,
    check_env_options,
    render_events,
)
from games.rpssl.config import RPSSLConfig
from games.rpssl.rules import MOVES, PLAYERS, display
from games.rpssl.session import RPSSLSession
from games.rpssl.text import EVENT_RENDERERS, RULES_SUMMARY, Phase

PHASES: tuple[str, ...] = tuple(p.value for p in Phase)
MOVE_INDEX = {m.value: i for i, m in enumerate(MOVES)}
MOVE_SENTENCE = "I play {move}."
"""The discrete format's statement of a move."""


def text_bound(config: RPSSLConfig) -> int:
    """An upper bound on the observation text length: the rules, a setup line, per round a reveal with
    two full-length statements, a pending statement and the question; doubled as a safety margin."""
    per_round = 2 * MAX_SPEECH + 512
    return 2 * (len(RULES_SUMMARY) + 512 + config.rounds * per_round + MAX_SPEECH + 512)


class RPSSLEnv(AECEnv):
    """PettingZoo AEC RPSSL. Keyword options are the fields of :class:`RPSSLConfig`."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "rpssl_v0",
        "render_modes": list(RENDER_MODES),
        "action_formats": ACTION_FORMATS,
        "is_parallelizable": False,
    }

    def __init__(self, render_mode: str | None = None, action_format: str = "text", **options: Any) -> None:
        super().__init__()
        check_env_options(render_mode, action_format)
        self.config = RPSSLConfig(**options)
        self.render_mode = render_mode
        self.discrete = action_format == "discrete"
        self.possible_agents = list(PLAYERS)
        # One space object per agent, built once: api_test wants the same object on every call.
        self._observation_spaces = {a: self._make_observation_space() for a in self.possible_agents}
        self._action_spaces = {
            a: spaces.Discrete(len(MOVES)) if self.discrete else spaces.Text(MAX_SPEECH, min_length=0, charset=CHARSET)
            for a in self.possible_agents
        }
        self._seed: int | None = None
        self._seeds: np.random.Generator | None = None
        self.session: RPSSLSession | None = None

    def _make_observation_space(self) -> spaces.Dict:
        rounds = self.config.rounds
        entries: dict[str, spaces.Space] = {
            "text": spaces.Text(text_bound(self.config), min_length=0, charset=CHARSET),
            "player": spaces.Discrete(2),
            "round": spaces.Discrete(rounds + 1),
            "phase": spaces.Discrete(len(PHASES)),
            "history": spaces.Box(-1, len(MOVES) - 1, (rounds, 2), np.int8),
            "totals": spaces.Box(-rounds, rounds, (2,), np.int16),
        }
        if self.discrete:
            entries["action_mask"] = spaces.Box(0, 1, (len(MOVES),), np.int8)
        return spaces.Dict(entries)

    def observation_space(self, agent: str) -> spaces.Dict:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self._action_spaces[agent]

    # ---- episode -------------------------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Start a match. ``seed`` gives the same match as ``RPSSLSession(config, seed)``; without one the
        next seed is drawn from the last seeded stream (or OS entropy), as Gymnasium does."""
        if seed is not None:
            self._seed, self._seeds, game_seed = seed, None, seed
        else:
            if self._seeds is None:
                self._seeds = np.random.default_rng(self._seed)
            game_seed = int(self._seeds.integers(2**31))
        self.session = RPSSLSession(self.config, seed=game_seed)
        self._rendered = 0
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: {"fallbacks": 0, "no_move": 0} for a in self.agents}
        self.agent_selection = self.session.to_act()[0]

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self._cumulative_rewards[agent] = 0.0
        move, fell_back = self._decode(action)
        self.infos[agent]["fallbacks"] += fell_back
        self.session.step(agent, move)
        state = self.session.state
        for p, a in enumerate(self.possible_agents):
            self.infos[a]["no_move"] = state.fallbacks[p]
        if state.over:
            for p, a in enumerate(self.possible_agents):
                self.rewards[a] = state.returns()[p]
                self.terminations[a] = True
            self._accumulate_rewards()
            self._deads_step_first()
        else:
            self.agent_selection = self.session.to_act()[0]
        if self.render_mode == "human":
            self.render()

    def _decode(self, action: Any) -> tuple[Action, bool]:
        """The session move for ``action`` and whether it had to be repaired."""
        if self.discrete:
            index = int(action) if isinstance(action, int | np.integer) else -1
            if 0 <= index < len(MOVES):
                move = MOVES[index]
                return Action(MOVE_SENTENCE.format(move=display(move)), label=move.value, intent=move.value), False
            return Action(""), True
        if not isinstance(action, str):
            return Action(""), True
        speech = action[:MAX_SPEECH]
        if not (speech.isascii() and speech.isprintable()):  # printable ASCII is inside CHARSET
            speech = OUTSIDE_CHARSET.sub("?", speech)
        return Action(speech), speech != action

    # ---- observations --------------------------------------------------------------------------
    def observe(self, agent: str) -> dict[str, Any]:
        obs = self.session.observe(agent)
        data, rounds = obs.data, self.config.rounds
        history = np.full((rounds, 2), -1, np.int8)
        for i, h in enumerate(data["history"]):
            history[i] = [MOVE_INDEX.get(h["my_move"], -1), MOVE_INDEX.get(h["opponent_move"], -1)]
        out = {
            "text": obs.text,
            "player": self.possible_agents.index(agent),
            "round": data["round"],
            "phase": PHASES.index(obs.phase),
            "history": history,
            "totals": np.array([data["my_total"], data["opponent_total"]], np.int16),
        }
        if self.discrete:
            out["action_mask"] = np.full(len(MOVES), int(obs.legal is None), np.int8)
        return out

    # ---- rendering -----------------------------------------------------------------------------
    def render(self) -> str | None:
        """Omniscient text of the events since the last render, each with its audience.

        ``"human"`` prints it (``step`` renders after every move), ``"ansi"`` returns it.
        """
        events = self.session.events[self._rendered :] if self.render_mode is not None else []
        self._rendered += len(events)
        return render_events(self.render_mode, events, EVENT_RENDERERS)

    def close(self) -> None:
        """Nothing to release."""


env = RPSSLEnv
"""PettingZoo's entry-point name (``games.<name>.env:env``); ``games.registration`` registers it."""
