"""Scenario files: the typed, validated description of everything a user runs.

A scenario names a game and its config, a pool of agents, a tournament schedule and an optional
line-up for ``arena play``. :func:`load_scenario` turns a YAML file into a :class:`Scenario` or raises
ONE :class:`ScenarioError` that names the file, the field path and the bad value, e.g.
``scenarios/x.yaml: tournament.games_per_pairing: -3 is not valid (must be >= 1)``.

Validation runs in two stages: pydantic checks the shape (types, ranges, unknown keys), then
:func:`_cross_check` validates what depends on other fields (the game's own config model, each
agent kind's params model, unique names, line-up references), prefixing every location so errors
read the same in both stages.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.registry import AGENT_KINDS
from games import GAMES, GameSpec

Loc = tuple[str | int, ...]


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one line naming the source, field and value."""


class TournamentFormat(StrEnum):
    SIDES = "sides"  # every ordered pair (A, B): A plays one team, B the other (LSPO's per-side evaluation)
    MIXED = "mixed"  # agents from the pool share each table, rotating through every role


class AgentEntry(BaseModel):
    """One agent of the pool: a unique ``name``, a ``kind`` from ``agents.registry`` and its params."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$", description="Unique name shown in tables.")
    kind: str = Field(description="A key of agents.registry.AGENT_KINDS (random, scripted, human, ...).")
    params: dict[str, Any] = Field(default_factory=dict, description="Validated by the kind's params model.")


class TournamentSettings(BaseModel):
    """How many games, who meets whom, and how they are seeded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: TournamentFormat = Field(TournamentFormat.SIDES, description="sides or mixed.")
    games_per_pairing: int = Field(10, ge=1, description="sides: games per ordered pair of agents.")
    games: int = Field(100, ge=1, description="mixed: total number of games.")
    seed: int = Field(0, ge=0, description="Root seed; every game's seed derives from it and the game index.")
    concurrency: int = Field(8, ge=1, le=4096, description="Matches played at once (does not change results).")
    self_play: bool = Field(False, description="sides: also pair every agent with itself.")

    @property
    def size_field(self) -> str:
        """The field that sets how many games are played in this format (what ``--games`` overrides)."""
        return "games_per_pairing" if self.format is TournamentFormat.SIDES else "games"


class PlaySettings(BaseModel):
    """The single game ``arena play`` shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lineup: dict[str, str] = Field(
        default_factory=dict,
        description="seat -> agent name; seats left out are filled by cycling through the agents in order.",
    )
    seed: int = Field(0, ge=0, description="Seed of the game (role deal, tie breaks, agents).")


class Scenario(BaseModel):
    """A validated scenario. ``config`` and each ``params`` hold the canonical, defaults-filled values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="Shown in reports and stored with the records.")
    description: str = Field("", description="Free text for people reading the file.")
    game: str = Field(description="A key of games.GAMES.")
    config: dict[str, Any] = Field(default_factory=dict, description="Validated by the game's config model.")
    agents: list[AgentEntry] = Field(min_length=1, description="The agent pool.")
    tournament: TournamentSettings = Field(default_factory=TournamentSettings)
    play: PlaySettings = Field(default_factory=PlaySettings)
    lspo: dict[str, Any] | None = Field(
        None, description="`arena lspo` settings, validated by solvers.lspo.config.LSPOParams when a loop runs."
    )

    @property
    def game_spec(self) -> GameSpec:
        return GAMES[self.game]

    def game_config(self) -> BaseModel:
        """The game's typed config model."""
        return self.game_spec.config.model_validate(self.config)

    def agent(self, name: str) -> AgentEntry:
        return next(a for a in self.agents if a.name == name)

    def canonical(self) -> dict[str, Any]:
        """Plain JSON-able data; validating it again gives the same scenario."""
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """sha256 of the canonical JSON, leaving out ``tournament.concurrency``: how many matches run at
        once changes no result, so a run may resume with a different value."""
        data = self.canonical()
        del data["tournament"]["concurrency"]
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(blob.encode()).hexdigest()


# ---- loading -----------------------------------------------------------------------------------
def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, override (dotted paths such as ``{"tournament.seed": 3}``) and validate a scenario file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read the file ({e.strerror})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ScenarioError(f"{path}: {where}YAML syntax error: {problem}") from None
    return validate_scenario(raw, str(path), overrides)


def override(scenario: Scenario, overrides: Mapping[str, Any], source: str = "scenario") -> Scenario:
    """A copy of ``scenario`` with dotted-path overrides applied and validated again."""
    return validate_scenario(scenario.canonical(), source, overrides)


def validate_scenario(raw: Any, source: str = "scenario", overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Validate parsed YAML data; raise one :class:`ScenarioError` for the first problem found."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: the file must hold a mapping of fields (name, game, agents, ...)")
    raw = _apply_overrides(raw, overrides, source)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as e:
        _raise_first(source, overrides, [_from_pydantic(err, Scenario, ()) for err in e.errors()])
    problems, scenario = _cross_check(scenario)
    if problems:
        _raise_first(source, overrides, problems)
    return scenario


def _apply_overrides(raw: dict[str, Any], overrides: Mapping[str, Any], source: str) -> dict[str, Any]:
    raw = copy.deepcopy(raw)  # never mutate the caller's data
    for dotted, value in overrides.items():
        *parents, leaf = dotted.split(".")
        node = raw
        for key in parents:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ScenarioError(f"{source}: {key}: must be a mapping to take the override {dotted}")
        node[leaf] = value
    return raw


# ---- problems ----------------------------------------------------------------------------------
Problem = tuple[Loc, Any, str]  # (where, the bad value or _NO_VALUE, why)
_NO_VALUE = object()


def _raise_first(source: str, overrides: Mapping[str, Any], problems: list[Problem]) -> NoReturn:
    loc, value, reason = problems[0]
    where = ".".join(str(part) for part in loc) or "(top level)"
    overridden = any(where == key or where.startswith(key + ".") for key in overrides)
    origin = " (set by an override)" if overridden else ""
    shown = "" if value is _NO_VALUE or isinstance(value, dict | list) else f"{_show(value)} is not valid "
    more = f" [+{len(problems) - 1} more problem(s)]" if len(problems) > 1 else ""
    text = f"({reason})" if shown else reason
    raise ScenarioError(f"{source}: {where}{origin}: {shown}{text}{more}")


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


_REASONS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "greater_than_equal": lambda ctx: f"must be >= {ctx['ge']}",
    "greater_than": lambda ctx: f"must be > {ctx['gt']}",
    "less_than_equal": lambda ctx: f"must be <= {ctx['le']}",
    "less_than": lambda ctx: f"must be < {ctx['lt']}",
    "enum": lambda ctx: f"must be one of {ctx['expected']}",
    "literal_error": lambda ctx: f"must be one of {ctx['expected']}",
    "int_parsing": lambda ctx: "must be an integer",
    "int_type": lambda ctx: "must be an integer",
    "int_from_float": lambda ctx: "must be a whole number",
    "bool_parsing": lambda ctx: "must be true or false",
    "bool_type": lambda ctx: "must be true or false",
    "string_type": lambda ctx: "must be a string",
    "string_too_short": lambda ctx: "must not be empty",
    "string_pattern_mismatch": lambda ctx: "may hold only letters, digits, '_', '-' and '.'",
    "dict_type": lambda ctx: "must be a mapping",
    "model_type": lambda ctx: "must be a mapping",
    "list_type": lambda ctx: "must be a list",
    "too_short": lambda ctx: f"must have at least {ctx['min_length']} item(s)",
    "missing": lambda ctx: "required field is missing",
}


def _from_pydantic(err: Mapping[str, Any], model: type[BaseModel], prefix: Loc) -> Problem:
    """One pydantic error as a :data:`Problem` with a plain-words reason."""
    kind, loc, ctx = err["type"], tuple(err["loc"]), err.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = ", ".join(_fields_at(model, loc[:-1]))
        return prefix + loc, _NO_VALUE, f"unknown key (allowed here: {allowed})"
    reason = _REASONS[kind](ctx) if kind in _REASONS else str(err["msg"]).removeprefix("Value error, ")
    value = _NO_VALUE if kind == "missing" else err.get("input", _NO_VALUE)
    return prefix + loc, value, reason


def _fields_at(model: type[BaseModel], loc: Loc) -> Iterable[str]:
    """Field names of the (nested) model found at ``loc``, for "allowed here" hints."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        candidates = [field.annotation, *getattr(field.annotation, "__args__", ())] if field else []
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return list(model.model_fields)


def _cross_check(scenario: Scenario) -> tuple[list[Problem], Scenario]:
    """Checks that span fields; returns the problems and the scenario with canonical sub-configs."""
    problems: list[Problem] = []
    if scenario.game not in GAMES:
        return [(("game",), scenario.game, f"unknown game; known: {', '.join(GAMES)}")], scenario
    config_model = GAMES[scenario.game].config
    try:
        config = config_model.model_validate(scenario.config).model_dump(mode="json")
    except ValidationError as e:
        problems += [_from_pydantic(err, config_model, ("config",)) for err in e.errors()]
        config = {}

    agents, seen = [], {}
    for i, agent in enumerate(scenario.agents):
        if agent.name in seen:
            also = f"duplicate agent name, also agents.{seen[agent.name]}"
            problems.append((("agents", i, "name"), agent.name, also))
        seen.setdefault(agent.name, i)
        kind = AGENT_KINDS.get(agent.kind)
        if kind is None:
            problems.append((("agents", i, "kind"), agent.kind, f"unknown agent kind; known: {', '.join(AGENT_KINDS)}"))
            continue
        try:
            params = kind.params.model_validate(agent.params).model_dump(mode="json")
        except ValidationError as e:
            problems += [_from_pydantic(err, kind.params, ("agents", i, "params")) for err in e.errors()]
            continue
        agents.append(agent.model_copy(update={"params": params}))

    t = scenario.tournament
    if t.format is TournamentFormat.SIDES and len(seen) < 2 and not t.self_play:
        problems.append((("agents",), _NO_VALUE, "the sides format needs two agents, or tournament.self_play: true"))
    if not problems:
        seats = GAMES[scenario.game].session(config_model.model_validate(config), 0).players
        for seat, name in scenario.play.lineup.items():
            if seat not in seats:
                problems.append((("play", "lineup", seat), _NO_VALUE, f"unknown seat; seats: {', '.join(seats)}"))
            elif name not in seen:
                problems.append((("play", "lineup", seat), name, f"unknown agent; agents: {', '.join(seen)}"))
    if problems:
        return problems, scenario
    return [], scenario.model_copy(update={"config": config, "agents": agents})
