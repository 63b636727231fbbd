"""A player's structured view of the game, folded from the events that player was shown.

Because the view is built from visible events only, it cannot contain hidden information; text
for language models (``text.py``) and data for scripted/neural agents both come from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from games.base import Event
from games.werewolf.config import ROLE_TEAM, Role


def fold_view(player: str, events: Iterable[Event]) -> dict[str, Any]:
    """Structured knowledge of ``player`` after the given (already visible) events."""
    view: dict[str, Any] = {
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
    for event in events:
        _FOLD[event.kind](view, event.data)
    return view


def _setup(view: dict[str, Any], d: dict[str, Any]) -> None:
    view["players"] = list(d["players"])
    view["alive"] = {p: True for p in d["players"]}
    view["role_counts"] = dict(d["role_counts"])


def _role(view: dict[str, Any], d: dict[str, Any]) -> None:
    role = Role(d["role"])
    view["role"], view["team"] = role.value, ROLE_TEAM[role].value
    view["teammates"] = list(d.get("teammates", []))
    view["known_roles"][d["player"]] = role.value
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
    view["statements"].append({k: d[k] for k in ("day", "round", "speaker", "text")})


def _game_over(view: dict[str, Any], d: dict[str, Any]) -> None:
    view["winner"] = d["winner"]


def _ignore(view: dict[str, Any], d: dict[str, Any]) -> None:
    pass


_FOLD = {
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
}
