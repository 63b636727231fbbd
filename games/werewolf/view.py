"""A player's structured view of the game, folded from the events that player was shown.

Because the view is built from visible events only, it cannot contain hidden information; text
for language models (``text.py``) and data for scripted/neural agents both come from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from games.base import Event
from games.werewolf.config import ROLE_TEAM, Role


def fold_view(player: str, events: Iterable[Event]) -> dict[str, Any]:
    """Structured knowledge of ``player`` after the given (already visible) events."""
    view = new_view(player)
    for event in events:
        fold_event(view, event)
    return view


def new_view(player: str) -> dict[str, Any]:
    """What ``player`` knows before any event."""
    return {
        "player": player,
        "role": None,
        "team": None,
        "teammates": [],
        "players": [],
        "role_counts": {},
        "alive": {},
        "day": 0,
        "known_roles": {},
        "seer_results": {},
        "protected": [],
        "wolf_proposal": None,
        "wolf_kills": [],
        "statements": [],
        "vote_history": [],
        "deaths": [],
        "my_votes": [],
        "winner": None,
    }


def fold_event(view: dict[str, Any], event: Event) -> None:
    """Update ``view`` in place with one event its player was shown (folds are incremental)."""
    FOLDERS[event.kind](view, event.data)


def snapshot(view: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``view``: shares nothing with it, so later folds leave it alone and changing it
    changes nothing else (sessions share the public parts of their players' views)."""
    return _copy(view)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value  # str, int, bool, None: immutable


PUBLIC_FIELDS = ("players", "role_counts", "alive", "statements", "vote_history", "deaths", "winner")
"""View fields that only :data:`SHARED_FOLDS` write: the same for every player, so a session may fold
them once and share them (with the roles revealed at death, kept in ``known_roles``)."""

SHARED_FOLDS = frozenset({"setup", "day", "announcement", "statement", "vote_result", "game_over"})
"""Event kinds whose fold writes :data:`PUBLIC_FIELDS` only (and roles revealed at death). Every other
kind, public ones included (nightfall sets the reader's ``day`` and clears a wolf's proposal), is folded
into each reader's own view."""


def _setup(view: dict[str, Any], d: dict[str, Any]) -> None:
    view["players"] = list(d["players"])
    view["alive"] = {p: True for p in d["players"]}
    view["role_counts"] = dict(d["role_counts"])


_TEAM_OF = {role.value: team.value for role, team in ROLE_TEAM.items()}  # role name -> team name


def _role(view: dict[str, Any], d: dict[str, Any]) -> None:
    role = str(d["role"])  # a plain str even if given a Role
    view["role"], view["team"] = role, _TEAM_OF[role]
    view["teammates"] = list(d.get("teammates", []))
    view["known_roles"][d["player"]] = role
    for mate in view["teammates"]:
        view["known_roles"][mate] = Role.WEREWOLF.value


def _night(view: dict[str, Any], d: dict[str, Any]) -> None:
    view["day"] = d["day"]
    view["wolf_proposal"] = None


def _death(view: dict[str, Any], d: dict[str, Any], player: str, cause: str) -> None:
    view["alive"][player] = False
    death = {"day": d["day"], "player": player, "cause": cause}
    for key in ("revealed_role", "revealed_team"):
        if key in d:
            death[key] = d[key]
    if "revealed_role" in d:
        view["known_roles"][player] = d["revealed_role"]
    view["deaths"].append(death)


def _announcement(view: dict[str, Any], d: dict[str, Any]) -> None:
    if d["killed"] is not None:
        _death(view, d, d["killed"], "night")


def _vote_result(view: dict[str, Any], d: dict[str, Any]) -> None:
    view["vote_history"].append(
        {"day": d["day"], "votes": dict(d["votes"]), "tally": dict(d["tally"]), "eliminated": d["eliminated"]}
    )
    if d["eliminated"] is not None:
        _death(view, d, d["eliminated"], "vote")


def _seer_check(view: dict[str, Any], d: dict[str, Any]) -> None:
    view["seer_results"][d["target"]] = d["is_werewolf"]


def _statement(view: dict[str, Any], d: dict[str, Any]) -> None:
    view["statements"].append({"day": d["day"], "round": d["round"], "speaker": d["speaker"], "text": d["text"]})


def _game_over(view: dict[str, Any], d: dict[str, Any]) -> None:
    view["winner"] = d["winner"]


def _ignore(view: dict[str, Any], d: dict[str, Any]) -> None:
    pass


FOLDERS: dict[str, Callable[[dict[str, Any], Mapping[str, Any]], None]] = {
    "setup": _setup,
    "role": _role,
    "night": _night,
    "day": _ignore,
    "wolf_proposal": lambda v, d: v.__setitem__("wolf_proposal", d["target"]),
    "wolf_kill": lambda v, d: v["wolf_kills"].append({"day": v["day"], "by": d["by"], "target": d["target"]}),
    "seer_check": _seer_check,
    "doctor_protect": lambda v, d: v["protected"].append({"day": v["day"], "target": d["target"]}),
    "announcement": _announcement,
    "statement": _statement,
    "vote": lambda v, d: v["my_votes"].append({"day": v["day"], "target": d["target"]}),
    "vote_result": _vote_result,
    "game_over": _game_over,
    # never visible to a player; listed so an omniscient fold (replays, analysis) also works
    "night_resolution": _ignore,
    "reasoning": _ignore,
    "identify": _ignore,
}
