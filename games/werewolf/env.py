"""Werewolf as a PettingZoo AEC env, an adapter on top of :class:`WerewolfSession`.

Players act one at a time in the order the rules ask for them (night roles, speakers in turn, then
voters in id order; a voter sees no other vote before the tally, as in the rules). Spaces follow the
"PettingZoo compliance with text" notes (``/work/shared/reference/solvers.md``): the observation is a
``Dict`` whose ``"text"`` entry is the player's prompt from ``session.prompt`` (the text of
``session.observe``, built only from events that player saw) plus a structured numeric view in the spirit
of SLA's vector observation (Xu et al., ICML 2024, arXiv 2310.18940: id, role, round, phase, alive flags,
votes), read from the same player's view. Observation arrays are **read-only** and may be shared
between observations: they are rebuilt only when the view parts they come from change, and are never
written afterwards (copy one before modifying it; RL buffers copy anyway).

Two action formats (``action_format=``):

* ``"text"`` (default): ``Text`` actions. A choice is its legal name (``"player_3"``, ``"abstain"``);
  during the discussion any string is speech. The observation carries ``"legal_mask"`` over
  ``[player_0 .. player_{n-1}, abstain]`` (not called ``action_mask``: the action space is not discrete).
* ``"discrete"``: ``Discrete(3n + 5)`` actions with an ``"action_mask"``. Indices ``0..n-1`` name a
  player (vote or night target), ``n`` abstains, and speech is one atomic intent from
  :data:`INTENT_SENTENCES` (after the "Cicero-like" baseline of LSPO, Xu et al., ICML 2025): ``n+1``
  stay quiet, ``n+2+i`` accuse player_i, ``2n+2+i`` defend player_i, ``3n+2..3n+4`` claim to be the
  seer / doctor / a villager. The intent is recorded in the statement's ``meta`` (ground truth).

Moves outside the rules never crash the env (``api_test`` sends random strings). They fall back,
and each fallback is counted in ``infos[agent]["fallbacks"]``: a vote abstains, a night move takes a
random legal target from the env's own generator (seeded in ``reset``, separate from the rules' so a
fallback never shifts a tie break), speech that is not a string is silence, and speech outside the
``Text`` action space is brought into it (cut at :data:`MAX_SPEECH` characters, each character outside
:data:`CHARSET` replaced by ``"?"``). Speech is the only outside text in an observation, so every
observation stays inside its space without being rewritten.

Dead players are terminated and then removed on their next (``None``) step, per AEC semantics. Rewards
are 0 during play and the final score (+1 win, -1 loss, 0 draw at the day cap) for every agent still
in ``agents`` at the end; a player who died earlier has already left and keeps 0.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from games.werewolf.config import Role, WerewolfConfig
from games.werewolf.rules import Phase, player_name
from games.werewolf.session import WerewolfSession
from games.werewolf.text import ABSTAIN, EVENT_RENDERERS, RULES_SUMMARY

PHASES: tuple[str, ...] = (*(p.value for p in Phase), "waiting")
PHASE_INDEX: dict[str, int] = {phase: i for i, phase in enumerate(PHASES)}
ROLES: tuple[Role, ...] = tuple(Role)
ROLE_INDEX: dict[str, int] = {role.value: i for i, role in enumerate(ROLES)}
CLAIMS: tuple[Role, ...] = (Role.SEER, Role.DOCTOR, Role.VILLAGER)

INTENT_SENTENCES: dict[str, str] = {
    "quiet": "I have nothing to add right now.",
    "accuse": "I suspect {target} is a werewolf.",
    "defend": "I believe {target} is on the village side.",
    "claim:seer": "I am the seer.",
    "claim:doctor": "I am the doctor.",
    "claim:villager": "I am a villager.",
}
"""The discrete speech catalogue: intent -> sentence spoken in the game."""


def text_bound(config: WerewolfConfig) -> int:
    """An upper bound on the observation text length for this config (the ``Text`` max_length).

    Per day: every statement at full length plus its prefix, and generous room for the night,
    announcement, vote and tally lines of ``n`` players; doubled as a safety margin.
    """
    n = config.n_players
    per_day = config.discussion_rounds * n * (MAX_SPEECH + 64) + 64 * n + 1024
    return 2 * (len(RULES_SUMMARY) + 256 * n + 1024 + config.max_days * per_day)


class WerewolfEnv(AECEnv):
    """PettingZoo AEC Werewolf. Keyword options are the fields of :class:`WerewolfConfig`."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "werewolf_v0",
        "render_modes": list(RENDER_MODES),
        "action_formats": ACTION_FORMATS,
        "is_parallelizable": False,
    }

    def __init__(self, render_mode: str | None = None, action_format: str = "text", **options: Any) -> None:
        super().__init__()
        check_env_options(render_mode, action_format)
        self.config = WerewolfConfig(**options)
        self.render_mode = render_mode
        self.action_format = action_format
        self.discrete = action_format == "discrete"
        n = self.n = self.config.n_players
        self.possible_agents = [player_name(p) for p in range(n)]
        self._index = {a: p for p, a in enumerate(self.possible_agents)}
        self._choice_index = {**self._index, ABSTAIN: n}  # a legal move name -> its mask index
        self.n_actions = 3 * n + 5 if self.discrete else n + 1
        self._mask_key = "action_mask" if self.discrete else "legal_mask"
        # One space object per agent, built once: api_test requires the same object on every call and
        # seed_test seeds each agent's space separately.
        self._observation_spaces = {a: self._make_observation_space() for a in self.possible_agents}
        self._action_spaces = {a: self._make_action_space() for a in self.possible_agents}
        self._claimable = [self.config.role_counts().get(role, 0) > 0 for role in CLAIMS]
        self._masks: dict[Any, np.ndarray] = {}  # memo of _mask; a game has few distinct legal sets
        self._moves = self._make_moves()
        self._seed: int | None = None  # None: the first unseeded reset draws from OS entropy
        self._seeds: np.random.Generator | None = None
        self.session: WerewolfSession | None = None

    def _make_action_space(self) -> spaces.Space:
        if self.discrete:
            return spaces.Discrete(self.n_actions)
        return spaces.Text(MAX_SPEECH, min_length=0, charset=CHARSET)

    def _make_observation_space(self) -> spaces.Dict:
        n = self.n
        return spaces.Dict(
            {
                "text": spaces.Text(text_bound(self.config), min_length=0, charset=CHARSET),
                "player": spaces.Discrete(n),
                "role": spaces.Discrete(len(ROLES)),
                "day": spaces.Discrete(self.config.max_days + 1),
                "phase": spaces.Discrete(len(PHASES)),
                "alive": spaces.MultiBinary(n),
                # index into ROLES, -1 unknown (own role, fellow wolves, roles revealed at death)
                "known_roles": spaces.Box(-1, len(ROLES) - 1, (n,), np.int8),
                "seer_results": spaces.Box(-1, 1, (n,), np.int8),  # +1 werewolf, -1 not, 0 unchecked
                "last_votes": spaces.Box(-1, n, (n,), np.int16),  # last tally: target id, n abstain, -1 none
                self._mask_key: spaces.Box(0, 1, (self.n_actions,), np.int8),
            }
        )

    def observation_space(self, agent: str) -> spaces.Dict:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self._action_spaces[agent]

    # ---- episode -------------------------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Deal a new game. ``seed`` gives the same deal as ``WerewolfSession(config, seed)``.

        Without a seed the next game seed is drawn from the last seeded stream (or OS entropy), as
        Gymnasium does. ``options`` is accepted for API compatibility; rules options are fixed at
        construction.
        """
        # Generators are built only when first needed: each costs about as much as a move.
        if seed is not None:
            self._seed, self._seeds = seed, None
            self._game_seed = seed
        else:
            if self._seeds is None:
                self._seeds = np.random.default_rng(self._seed)  # after reset(seed=s): the stream of s
            self._game_seed = int(self._seeds.integers(2**31))
        self.session = WerewolfSession(self.config, seed=self._game_seed)
        self._fallback_rng: np.random.Generator | None = None
        self._rendered = 0
        self._deaths = 0
        self._living = tuple(range(self.n))  # seats of the living, updated by _settle (for speech masks)
        # Caches of _view_arrays, keyed by the sizes of the view parts they come from.
        self._public_arrays: tuple[tuple[int, int], tuple[np.ndarray, np.ndarray]] = ((-1, -1), ())  # type: ignore[assignment]
        self._private_arrays: dict[str, tuple[tuple[int, int], tuple[np.ndarray, np.ndarray]]] = {}
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: {"fallbacks": 0} for a in self.agents}
        self._skip_agent_selection = None
        self.agent_selection = self.session.to_act()[0]

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        # PettingZoo's _clear_rewards is not needed: rewards are nonzero only once the game is over, and
        # then every agent is terminated and steps through _was_dead_step, which clears them.
        self._cumulative_rewards[agent] = 0.0
        move, fell_back = self._decode(agent, action)
        if fell_back:
            self.infos[agent]["fallbacks"] += 1
        self.session.step(agent, move)
        self._settle()
        if self.render_mode == "human":
            self.render()

    def _settle(self) -> None:
        """Terminate the newly dead; at the end pay everyone still present and terminate them."""
        state = self.session.state
        if state.is_over:
            scores = state.returns()  # the Outcome's scores, by seat
            for a in self.agents:
                self.rewards[a] = scores[self._index[a]]
                self.terminations[a] = True
            self._accumulate_rewards()
            self._deads_step_first()
            return
        self.agent_selection = self.possible_agents[state.to_act()[0]]
        deaths = state.alive.count(False)
        if deaths != self._deaths:  # someone died this move: they step out (None) before play goes on
            self._deaths, self._living = deaths, tuple(state.living())
            for a in self.agents:
                self.terminations[a] = not state.alive[self._index[a]]
            self._deads_step_first()

    # ---- actions -------------------------------------------------------------------------------
    def _decode(self, agent: str, action: Any) -> tuple[Action, bool]:
        """The session move for ``action`` and whether it was a fallback."""
        legal = self.session.legal(agent)
        if self.discrete:
            index = int(action) if isinstance(action, int | np.integer) else -1
            if 0 <= index < self.n_actions and self._mask(agent, legal)[index]:
                return self._moves[index], False
        elif legal is None:
            if not isinstance(action, str):
                return Action(""), True
            speech = action[:MAX_SPEECH]
            if not (speech.isascii() and speech.isprintable()):  # printable ASCII is inside CHARSET
                speech = OUTSIDE_CHARSET.sub("?", speech)
            return Action(speech), speech != action
        elif isinstance(action, str):
            choice = action.strip().lower()
            if choice in legal:
                return self._moves[self._choice_index[choice]], False
        return self._fallback(legal), True

    def _make_moves(self) -> list[Action]:
        """The session move of every choice (and, in the discrete format, every speech) index, built once:
        actions are immutable."""
        if self.discrete:
            return [self._index_move(index) for index in range(self.n_actions)]
        return [Action(name) for name in self._choice_index]

    def _fallback(self, legal: tuple[str, ...] | None) -> Action:
        if legal is None:
            return self._index_move(self.n + 1) if self.discrete else Action("")
        if ABSTAIN in legal:
            return Action(ABSTAIN)
        if self._fallback_rng is None:
            # A stream of its own: a fallback must not shift the rules' random draws (ties, orders).
            self._fallback_rng = np.random.default_rng([self._game_seed, 1])
        return Action(legal[int(self._fallback_rng.integers(len(legal)))])

    def _index_move(self, index: int) -> Action:
        """Decode a discrete index (layout in the module docstring)."""
        n = self.n
        if index < n:
            return Action(player_name(index))
        if index == n:
            return Action(ABSTAIN)
        if index == n + 1:
            return Action(INTENT_SENTENCES["quiet"], intent="quiet")
        if index < 3 * n + 2:
            kind = "accuse" if index < 2 * n + 2 else "defend"
            target = player_name((index - n - 2) % n)
            return Action(INTENT_SENTENCES[kind].format(target=target), intent=f"{kind}:{target}")
        intent = f"claim:{CLAIMS[index - 3 * n - 2].value}"
        return Action(INTENT_SENTENCES[intent], intent=intent)

    def _mask(self, agent: str, legal: tuple[str, ...] | None) -> np.ndarray:
        """Legal indices from ``session.legal`` / the session's prompt: a tuple of names for a choice,
        ``None`` when ``agent`` is to speak, ``()`` when it is not ``agent``'s turn (all zero).

        Memoised and shared between observations, hence read-only.
        """
        # A discrete speaker's mask depends on who else is alive; every other mask on `legal` alone.
        key = (agent, self._living) if legal is None and self.discrete else legal
        mask = self._masks.get(key)
        if mask is None:
            if len(self._masks) >= 4096:  # bounded: legal sets are few per game, but games are many
                self._masks.clear()
            mask = self._masks[key] = _frozen(self._build_mask(agent, legal))
        return mask

    def _build_mask(self, agent: str, legal: tuple[str, ...] | None) -> np.ndarray:
        mask = np.zeros(self.n_actions, np.int8)
        if legal:
            mask[[self._choice_index[name] for name in legal]] = 1
        elif legal is None and self.discrete:
            n, me = self.n, self._index[agent]
            others = [q for q in self._living if q != me]
            mask[n + 1] = 1
            mask[[n + 2 + q for q in others]] = 1
            mask[[2 * n + 2 + q for q in others]] = 1
            mask[3 * n + 2 :] = self._claimable
        return mask

    # ---- observations --------------------------------------------------------------------------
    def observe(self, agent: str) -> dict[str, Any]:
        phase, text, legal, view = self.session.prompt(agent)  # `view` is live: read, not kept
        alive, known_roles, seer_results, last_votes = self._view_arrays(agent, view)
        return {
            "text": text,
            "player": self._index[agent],
            "role": ROLE_INDEX[view["role"]],
            "day": view["day"],
            "phase": PHASE_INDEX[phase],
            "alive": alive,
            "known_roles": known_roles,
            "seer_results": seer_results,
            "last_votes": last_votes,
            self._mask_key: self._mask(agent, legal),
        }

    def _view_arrays(self, agent: str, view: Mapping[str, Any]) -> tuple[np.ndarray, ...]:
        """``alive``, ``known_roles``, ``seer_results`` and ``last_votes`` from ``agent``'s view (shared and
        read-only), rebuilt only when the view parts they come from have grown.

        Those parts only grow: a death (alive, and a role revealed at death), a role learnt, a check, a
        tally. An entry written again holds the same truth (a re-checked player, a dead wolf's role).
        ``alive`` and ``last_votes`` come from public fields alone, the same for every agent, so all agents
        share one build of them.
        """
        public_key = (len(view["deaths"]), len(view["vote_history"]))
        if self._public_arrays[0] != public_key:
            self._public_arrays = (public_key, self._public_view_arrays(view))
        private_key = (len(view["known_roles"]), len(view["seer_results"]))
        cached = self._private_arrays.get(agent)
        if cached is None or cached[0] != private_key:
            cached = self._private_arrays[agent] = (private_key, self._private_view_arrays(view))
        (alive, last_votes), (known_roles, seer_results) = self._public_arrays[1], cached[1]
        return alive, known_roles, seer_results, last_votes

    def _public_view_arrays(self, view: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        index, n = self._index, self.n
        alive = np.array([view["alive"][a] for a in self.possible_agents], np.int8)
        votes = [-1] * n  # by voter: target id, n abstain, -1 none
        if view["vote_history"]:
            for voter, target in view["vote_history"][-1]["votes"].items():
                votes[index[voter]] = n if target is None else index[target]
        return _frozen(alive), _frozen(np.array(votes, np.int16))

    def _private_view_arrays(self, view: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        index, n = self._index, self.n
        known_roles, seer_results = [-1] * n, [0] * n
        for name, role in view["known_roles"].items():
            known_roles[index[name]] = ROLE_INDEX[role]
        for name, is_wolf in view["seer_results"].items():
            seer_results[index[name]] = 1 if is_wolf else -1
        return _frozen(np.array(known_roles, np.int8)), _frozen(np.array(seer_results, np.int8))

    # ---- rendering -----------------------------------------------------------------------------
    def render(self) -> str | None:
        """Omniscient text of the events since the last render, each with its audience.

        ``"human"`` prints it (``step`` renders after every move), ``"ansi"`` returns it.
        """
        events = self.session.events[self._rendered :] if self.render_mode is not None else []
        self._rendered += len(events)
        return render_events(self.render_mode, events, EVENT_RENDERERS)

    def close(self) -> None:
        """Nothing to release: the env holds no files, processes or windows."""


env = WerewolfEnv
"""PettingZoo's entry-point name (``games.<name>.env:env``); ``games.registration`` registers it."""


def _frozen(array: np.ndarray) -> np.ndarray:
    """Mark a cached array read-only, so sharing it between observations is safe."""
    array.flags.writeable = False
    return array
