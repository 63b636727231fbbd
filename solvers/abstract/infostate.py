"""The information-state key of a Werewolf player: one string, the same in the abstract game and in a real match.

The key is a function of the player's structured view (``games.werewolf.view``: what
``Observation.data`` holds), the phase being decided and the latent id of every statement heard. The
abstract game (:mod:`solvers.abstract.werewolf`) folds the same events into the same view, so a
latent-policy agent in a real match computes the key that the solver saw, from its observation and a
map from each heard utterance to its latent id::

    key = observation_key(obs, latent_of={"I am the seer.": 1, ...})
    probs = policy.latent_probs(key, role="werewolf")

Recall: the view keeps everything a player did and saw, in order, except that the Seer's results are a
dict (a repeated check of the same player leaves no trace) and only the current night's wolf proposal
is kept. So the key has perfect recall for games of up to two nights and for one wolf; beyond that,
states differing only in those details share a key (an imperfect-recall abstraction, as in LSPO).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from games.base import Observation
from games.werewolf.rules import player_index

LatentOf = Callable[[Mapping[str, Any]], int] | Mapping[str, int]
"""Statement -> latent id: a callable on a view statement (``day``, ``round``, ``speaker``, ``text``), or a
mapping from utterance text to id."""

ROLE_CODE = {"werewolf": "W", "seer": "S", "doctor": "D", "villager": "V"}
PHASE_CODE = {
    "night_wolf_propose": "wp",
    "night_wolf_kill": "wk",
    "night_seer": "sc",
    "night_doctor": "dp",
    "day_discussion": "talk",
    "day_vote": "vote",
    "waiting": "wait",  # not this player's turn (the session's phase name for it)
}
"""Phase value -> the code that ends a key (a key names the decision being taken)."""

CODE_PHASE = {code: phase for phase, code in PHASE_CODE.items()}
CODE_ROLE = {code: role for role, code in ROLE_CODE.items()}


def _seat(name: str | None) -> str:
    return "-" if name is None else str(player_index(name))


def latent_lookup(latent_of: LatentOf) -> Callable[[Mapping[str, Any]], int]:
    """``latent_of`` as a function of a statement."""
    if isinstance(latent_of, Mapping):
        table = latent_of
        return lambda statement: table[statement["text"]]
    return latent_of


def _reveal(death: Mapping[str, Any]) -> str:
    if "revealed_role" in death:
        return ROLE_CODE[death["revealed_role"]]
    if "revealed_team" in death:
        return "w" if death["revealed_team"] == "werewolves" else "v"
    return ""


def infostate_key(view: Mapping[str, Any], phase: str, latent_of: LatentOf) -> str:
    """The key of ``view['player']`` deciding in ``phase`` (a :class:`~games.werewolf.rules.Phase` value).

    Layout (seats are player indices): ``<seat><role>[w<mates>] s<seer results> |<day>:<night>/<talk>/<vote>
    ... ~<wolf proposal> @<phase>``, one ``|`` block per day. Short on purpose: solvers keep one table row
    per key.
    """
    latent = latent_lookup(latent_of)
    head = _seat(view["player"]) + ROLE_CODE[view["role"]]
    if view["teammates"]:
        head += "w" + ",".join(_seat(m) for m in view["teammates"])
    if view["seer_results"]:  # insertion order = the order of the checks
        head += " s" + "".join(f"{_seat(t)}{'+' if w else '-'}" for t, w in view["seer_results"].items())
    days: dict[int, dict[str, list[str]]] = {
        d: {"night": [], "talk": [], "vote": []} for d in range(1, view["day"] + 1)
    }
    for kill in view["wolf_kills"]:
        days[kill["day"]]["night"].append("k" + _seat(kill["target"]))
    for save in view["protected"]:
        days[save["day"]]["night"].append("p" + _seat(save["target"]))
    for death in view["deaths"]:
        part = "night" if death["cause"] == "night" else "vote"
        days[death["day"]][part].append("x" + _seat(death["player"]) + _reveal(death))
    for s in view["statements"]:
        days[s["day"]]["talk"].append(f"{_seat(s['speaker'])}{'.' * s['round']}={latent(s)}")
    for mine in view["my_votes"]:
        days[mine["day"]]["vote"].append("m" + _seat(mine["target"]))
    for result in view["vote_history"]:
        ballots = ",".join(f"{_seat(v)}>{_seat(t)}" for v, t in result["votes"].items())
        days[result["day"]]["vote"].append(ballots)
    body = "".join(f"|{d}:{' '.join(b['night'])}/{' '.join(b['talk'])}/{' '.join(b['vote'])}" for d, b in days.items())
    proposal = "" if view["wolf_proposal"] is None else " ~" + _seat(view["wolf_proposal"])
    return f"{head} {body}{proposal} @{PHASE_CODE[phase]}"


def observation_key(obs: Observation, latent_of: LatentOf) -> str:
    """:func:`infostate_key` of a real match's observation (``WerewolfSession.observe``) at the player's turn."""
    return infostate_key(obs.data, obs.phase, latent_of)


def describe_key(key: str) -> tuple[int, str, str]:
    """``(seat, role, phase)`` of a key made by :func:`infostate_key` (role and phase as their values)."""
    digits = len(key) - len(key.lstrip("0123456789"))
    return int(key[:digits]), CODE_ROLE[key[digits]], CODE_PHASE[key.rsplit("@", 1)[1]]
