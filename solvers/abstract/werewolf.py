"""The abstract (latent) Werewolf game as a registered OpenSpiel Python game: speech replaced by latent ids.

LSPO (Xu et al., ICML 2025, arXiv 2502.04686): only speech is abstracted; night actions, votes,
transitions and payoffs are the rules' own (:mod:`games.werewolf.rules`, wrapped, not re-implemented).

- Chance deals the roles seat by seat (outcome = index in ``Role``, probability ∝ the roles left, so
  every distinct deal is equally likely) and breaks tied votes (``TieRule.RANDOM``: one outcome per tied
  player). ``SpeakingOrder.RANDOM`` is not supported (its chance node would have n! outcomes).
- A speaker's actions are the latent ids ``0..k_role-1``; a night action or vote is a seat index, and
  ``n_players`` is abstain (votes only). The simultaneous vote is played in seat order, each voter seeing
  no ballot of the day until the tally, so it is the same game.
- Information state: :func:`solvers.abstract.infostate.infostate_key` of the player's view, the key a
  real match computes too, and :mod:`solvers.abstract.tensor`'s 0/1 vector of the same content (for
  neural solvers; one key, one tensor). Utility: the outcome (+1/−1, 0 for a draw at ``max_days``), or with
  ``shaped_reward=True`` LSPO's shaped reward (:mod:`solvers.abstract.shaping`).

Parameters are the fields of :class:`WerewolfConfig` (role counts as ``n_werewolf`` ...), ``k_<role>``
and ``shaped_reward``; :func:`werewolf_game` builds one from a config.

Caveat of the abstraction: latent ids are per role (clusters are fitted per role), so with different
``k`` per role an id that only one role has (e.g. 2 when only wolves have k=3) tells listeners the
speaker's role; equal ``k`` across roles avoids that leak.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyspiel

from games.werewolf.config import Role, SpeakingOrder, TieRule, WerewolfConfig
from games.werewolf.rules import Phase, WerewolfState, new_game, player_name
from games.werewolf.view import fold_view
from solvers.abstract import shaping
from solvers.abstract.infostate import describe_key, infostate_key
from solvers.abstract.tensor import TensorLayout, fill_tensor

SHORT_NAME = "latent_werewolf"
ROLES: tuple[Role, ...] = tuple(Role)  # chance outcome i deals ROLES[i]
DEFAULT_K: dict[Role, int] = {Role.WEREWOLF: 3, Role.SEER: 2, Role.DOCTOR: 2, Role.VILLAGER: 2}  # LSPO iteration 0


def _config_params(config: WerewolfConfig) -> dict[str, Any]:
    """A config as flat OpenSpiel parameters (ints, bools and strings only)."""
    params: dict[str, Any] = {}
    for name, value in config.model_dump(exclude={"roles"}).items():
        params[name] = str(value) if isinstance(value, str) else value  # StrEnum -> its value
    params.update({f"n_{role.value}": count for role, count in config.role_counts().items()})
    return params


def _params_config(params: Mapping[str, Any]) -> WerewolfConfig:
    fields = {name: params[name] for name in WerewolfConfig.model_fields if name != "roles"}
    return WerewolfConfig(**fields, roles={role: int(params[f"n_{role.value}"]) for role in Role})


_PARAMS: dict[str, Any] = {
    **_config_params(WerewolfConfig()),
    **{f"k_{role.value}": k for role, k in DEFAULT_K.items()},
    "shaped_reward": False,
}

_GAME_TYPE = pyspiel.GameType(
    short_name=SHORT_NAME,
    long_name="Latent Werewolf (speech abstracted to latent strategy ids)",
    dynamics=pyspiel.GameType.Dynamics.SEQUENTIAL,
    chance_mode=pyspiel.GameType.ChanceMode.EXPLICIT_STOCHASTIC,
    information=pyspiel.GameType.Information.IMPERFECT_INFORMATION,
    utility=pyspiel.GameType.Utility.GENERAL_SUM,
    reward_model=pyspiel.GameType.RewardModel.TERMINAL,
    max_num_players=20,
    min_num_players=3,
    provides_information_state_string=True,
    provides_information_state_tensor=True,
    provides_observation_string=True,
    provides_observation_tensor=False,
    parameter_specification=_PARAMS,
)


def werewolf_game(
    config: WerewolfConfig | None = None, k: Mapping[Role | str, int] | None = None, shaped_reward: bool = False
) -> LatentWerewolfGame:
    """The abstract game of ``config`` with ``k[role]`` latent strategies per role (missing roles: LSPO's)."""
    ks = {**DEFAULT_K, **{Role(r): int(v) for r, v in (k or {}).items()}}
    params = {
        **_config_params(config or WerewolfConfig()),
        **{f"k_{role.value}": v for role, v in ks.items()},
        "shaped_reward": shaped_reward,
    }
    return pyspiel.load_game(SHORT_NAME, params)


def speech_text(latent: int) -> str:
    """The statement text the abstract game logs for latent id ``latent``."""
    return f"<z{latent}>"


def abstract_latent(statement: Mapping[str, Any]) -> int:
    """The latent id of a statement logged by the abstract game (the ``latent_of`` it uses for its keys)."""
    return int(statement["text"][2:-1])


class _TieDraw:
    """Stands in for the rules' Generator: a chance node has already drawn which tied player goes."""

    __slots__ = ("index",)

    def __init__(self) -> None:
        self.index = 0

    def integers(self, n: int) -> int:
        assert 0 <= self.index < n
        return self.index


_COPIED_LISTS = ("alive", "speakers", "events", "_living", "_living_wolves")
_KNOWN_FIELDS = frozenset(
    {"config", "roles", "rng", "alive", "day", "phase", "speakers", "discussion_round", "votes", "wolf_proposal"}
    | {"wolf_target", "seer_target", "doctor_target", "last_protected", "winner", "end_reason", "events"}
    | {"_living", "_living_wolves", "_is_wolf", "_seat_of", "_names", "_alone"}
)
# The fast copy below knows which fields the rules mutate in place; if the state grows new fields it
# falls back to the rules' own (deep-copying, ~50x slower) clone.
_FAST_COPY = {f.name for f in dataclasses.fields(WerewolfState)} == _KNOWN_FIELDS


def _copy_rules(ws: WerewolfState) -> WerewolfState:
    """A copy of ``ws`` sharing its immutable parts (config, roles, logged events, name tables)."""
    if not _FAST_COPY:
        return ws.clone()
    new = copy.copy(ws)
    for name in _COPIED_LISTS:
        setattr(new, name, list(getattr(ws, name)))
    new.votes = dict(ws.votes)
    return new


class _Shared:
    """What every state of one game shares; never copied by ``State.clone``."""

    def __init__(self, config: WerewolfConfig, k: Mapping[Role, int], shaped: bool) -> None:
        self.config, self.k, self.shaped, self.n = config, dict(k), shaped, config.n_players
        self.counts = [config.role_counts()[role] for role in ROLES]
        self.draw = _TieDraw()
        self.layout = TensorLayout(self.n, config.max_days, config.discussion_rounds, max(self.k.values()))
        self.scratch = _Observer(self.layout)  # reused by LatentWerewolfState.information_tensor

    def __deepcopy__(self, memo: dict[int, Any]) -> _Shared:
        return self


class LatentWerewolfGame(pyspiel.Game):
    """The abstract Werewolf game; build it with :func:`werewolf_game` or ``pyspiel.load_game``."""

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        params = {**_PARAMS, **(params or {})}
        config = _params_config(params)
        if config.discussion_order is SpeakingOrder.RANDOM:
            raise ValueError("the abstract game needs discussion_order='id' (a random order is an n!-way chance node)")
        k = {role: int(params[f"k_{role.value}"]) for role in Role}
        if min(k.values()) < 1:
            raise ValueError(f"every role needs at least one latent strategy, got {k}")
        self.shared = _Shared(config, k, bool(params["shaped_reward"]))
        n, days = config.n_players, config.max_days
        scale = shaping.bound(days) if self.shared.shaped else 1.0
        per_day = 4 + n * config.discussion_rounds + n + 1  # night moves, speeches, votes, a tie break
        info = pyspiel.GameInfo(
            num_distinct_actions=max(n + 1, *k.values()),
            max_chance_outcomes=max(n, len(ROLES)),
            num_players=n,
            min_utility=-scale,
            max_utility=scale,
            max_game_length=n + days * per_day,
        )
        super().__init__(_GAME_TYPE, info, params)

    @property
    def config(self) -> WerewolfConfig:
        return self.shared.config

    @property
    def k(self) -> dict[Role, int]:
        return dict(self.shared.k)

    def new_initial_state(self) -> LatentWerewolfState:
        return LatentWerewolfState(self)

    def make_py_observer(self, iig_obs_type: Any = None, params: Any = None) -> _Observer:
        return _Observer(self.shared.layout)

    def speech_role(self, key: str) -> str | None:
        """The role deciding at ``key`` if it is a speaking turn, else ``None`` (see :mod:`solvers.policy`)."""
        _, role, phase = describe_key(key)
        return role if phase == Phase.DAY_DISCUSSION.value else None

    def num_latent(self, role: str) -> int:
        return self.shared.k[Role(role)]

    def player_role(self, state: LatentWerewolfState, player: int) -> str:
        """The role dealt to ``player`` in ``state`` (after the deal): what a solver reports values by."""
        assert state.rules is not None
        return state.rules.roles[player].value


class _Core:
    """A state's Python side in one object, so ``clone`` (which deep-copies attributes) copies it fast."""

    __slots__ = ("dealt", "leaders", "pending", "shared", "ws")

    def __init__(self, shared: _Shared) -> None:
        self.shared = shared
        self.dealt: list[int] = []  # role indices dealt so far, by seat
        self.ws: WerewolfState | None = None
        self.pending: tuple[int, int | None] | None = None  # a last ballot that tied the vote
        self.leaders: list[int] = []  # the tied players it left

    def __deepcopy__(self, memo: dict[int, Any]) -> _Core:
        new = _Core(self.shared)
        new.dealt, new.pending, new.leaders = list(self.dealt), self.pending, self.leaders
        new.ws = None if self.ws is None else _copy_rules(self.ws)
        return new


class LatentWerewolfState(pyspiel.State):
    """One history of the abstract game."""

    def __init__(self, game: LatentWerewolfGame) -> None:
        super().__init__(game)
        self._core = _Core(game.shared)

    @property
    def rules(self) -> WerewolfState | None:
        """The wrapped rules state (``None`` while the roles are being dealt)."""
        return self._core.ws

    def current_player(self) -> int:
        core = self._core
        if core.ws is None or core.pending is not None:
            return pyspiel.PlayerId.CHANCE
        if core.ws.is_over:
            return pyspiel.PlayerId.TERMINAL
        return core.ws.to_act()[0]

    def _legal_actions(self, player: int) -> list[int]:
        ws, shared = self._core.ws, self._core.shared
        assert ws is not None
        if ws.phase is Phase.DAY_DISCUSSION:
            return list(range(shared.k[ws.roles[player]]))
        return [shared.n if t is None else t for t in ws.legal_targets(player)]

    def chance_outcomes(self) -> list[tuple[int, float]]:
        core = self._core
        if core.ws is None:
            left = list(core.shared.counts)
            for r in core.dealt:
                left[r] -= 1
            total = sum(left)
            return [(r, c / total) for r, c in enumerate(left) if c]
        return [(i, 1.0 / len(core.leaders)) for i in range(len(core.leaders))]

    def _apply_action(self, action: int) -> None:
        core = self._core
        shared = core.shared
        if core.ws is None:
            core.dealt.append(action)
            if len(core.dealt) == shared.n:
                roles = [ROLES[r] for r in core.dealt]
                core.ws = new_game(shared.config, shared.draw, roles=roles)  # type: ignore[arg-type]
            return
        ws = core.ws
        if core.pending is not None:  # chance picked which tied player is eliminated
            shared.draw.index = action
            voter, target = core.pending
            core.pending, core.leaders = None, []
            ws.choose(voter, target)
            return
        p = ws.to_act()[0]
        if ws.phase is Phase.DAY_DISCUSSION:
            ws.speak(p, speech_text(action), {"latent": action})
            return
        target = None if action == shared.n else action
        if ws.phase is Phase.DAY_VOTE and shared.config.tie_rule is TieRule.RANDOM:
            leaders = _tied_leaders(ws, p, target)
            if len(leaders) > 1:
                core.pending, core.leaders = (p, target), leaders
                return
        ws.choose(p, target)

    def _action_to_string(self, player: int, action: int) -> str:
        core = self._core
        if player == pyspiel.PlayerId.CHANCE:
            if core.ws is None:
                return f"deal:{ROLES[action].value}"
            return f"tie:{player_name(core.leaders[action])}"
        if core.ws is not None and core.ws.phase is Phase.DAY_DISCUSSION:
            return f"z{action}"
        return "abstain" if action == core.shared.n else player_name(action)

    def is_terminal(self) -> bool:
        ws = self._core.ws
        return ws is not None and ws.is_over and self._core.pending is None

    def returns(self) -> list[float]:
        ws, shared = self._core.ws, self._core.shared
        if ws is None or not ws.is_over:
            return [0.0] * shared.n
        return shaping.lspo_returns(ws) if shared.shaped else ws.returns()

    def information_key(self, player: int) -> str:
        """The key of ``player`` now (:func:`~solvers.abstract.infostate.infostate_key`)."""
        ws = self._core.ws
        if ws is None:
            return f"{player} dealing"
        return infostate_key(*self._view(player), abstract_latent)

    def information_tensor(self, player: int) -> np.ndarray:
        """The tensor of ``player`` now (:mod:`solvers.abstract.tensor`), as a new float32 array (no list
        round trip, unlike ``information_state_tensor``)."""
        scratch = self._core.shared.scratch
        scratch.set_from(self, player)
        return scratch.tensor.copy()

    def fill_tensor(self, player: int, parts: Mapping[str, np.ndarray]) -> None:
        """Write ``player``'s tensor into zeroed views ``parts``; while dealing a player knows only their seat."""
        if self._core.ws is None:
            parts["seat"][player] = 1
            return
        fill_tensor(parts, *self._view(player), abstract_latent)

    def _view(self, player: int) -> tuple[dict[str, Any], str]:
        """``player``'s view, folded from the events shown to them, and the phase they decide (or ``waiting``)."""
        ws = self._core.ws
        assert ws is not None
        name = ws.names[player]
        view = fold_view(name, [e for e in ws.events if e.visible(name)])
        return view, ws.phase.value if ws.is_turn(player) else "waiting"

    def __str__(self) -> str:
        ws = self._core.ws
        if ws is None:
            return "dealing " + "".join(ROLES[r].value[0] for r in self._core.dealt)
        roles = "".join(r.value[0].upper() for r in ws.roles)
        return f"{roles} day {ws.day} {ws.phase.value} alive={ws.alive} events={len(ws.events)}"


def _tied_leaders(ws: WerewolfState, voter: int, target: int | None) -> list[int]:
    """The players tied at the top if ``voter``'s ballot is the day's last one, else ``[]``."""
    if len(ws.votes) + 1 < len(ws.living()):
        return []
    tally: dict[int, int] = {}
    for t in [*ws.votes.values(), target]:
        if t is not None:
            tally[t] = tally.get(t, 0) + 1
    if not tally:
        return []
    top = max(tally.values())
    return sorted(t for t, c in tally.items() if c == top)


class _Observer:
    """The information-state key as the string (also the observation string) and the key's tensor
    (:mod:`solvers.abstract.tensor`); ``dict`` names its pieces, as OpenSpiel observers do."""

    def __init__(self, layout: TensorLayout) -> None:
        self.tensor = np.zeros(layout.size, np.float32)
        self.dict = layout.views(self.tensor)

    def set_from(self, state: LatentWerewolfState, player: int) -> None:
        self.tensor.fill(0)
        state.fill_tensor(player, self.dict)

    def string_from(self, state: LatentWerewolfState, player: int) -> str:
        return state.information_key(player)


pyspiel.register_game(_GAME_TYPE, LatentWerewolfGame)
