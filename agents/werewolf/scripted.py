"""Scripted Werewolf agents: one named strategy per role, varied template speech, ground-truth labels.

Strategies (params of the "scripted" agent kind; defaults first):

- seer ``reveal``: claims Seer on day 1, announces every check and names who to vote (a known wolf,
  else its top suspect); ``hide``: stays quiet (hinting at players it cleared) until it knows a wolf
  (a checked wolf, or anyone else claiming Seer), then reveals.
- werewolf ``fake_seer``: one wolf (the one that already claimed, else the lowest id) claims Seer and
  "reveals" a villager as a wolf, its teammate backs it; ``lie_low``: says little, bandwagons on the
  most-accused non-wolf and turns on anyone accusing it.
- villager ``follow_seer``: trusts the most consistent claimed Seer (a claimant the wolves killed is
  real; one whose "wolf" died at night, or whose results changed, lies) and votes whom it accuses;
  ``quietest``: suspects and votes the quietest / vaguest player.
- doctor ``protect_self``: protects itself every night and, trusting nobody, talks and votes like
  ``quietest`` by day; ``protect_seer``: protects the most credible claimed Seer, else a random other
  player, and talks and votes like ``follow_seer`` by day (so the two differ in speech, too).

Wolves kill a claimed Seer first, then whoever accused their team most; never a player their fake
Seer called a wolf (a "wolf" killed at night exposes the lie), and not again a player who survived
their attack (the Doctor guards them). Nobody votes a teammate or themselves. Without evidence the
village votes the most accused, or whoever voted against players it trusts.

An agent reads only ``obs.data`` (the player's view) and ``obs.legal`` and keeps no game state
between calls. Its randomness comes from its rng: the speech wording, and a tie-break salt fixed for
the match so speech and vote agree. Wolves instead break ties by a salt derived from their team, so
both pick the same victim and vote together without talking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agents.werewolf.speech import Intent, SpeechPlan, render
from agents.werewolf.table import Table
from games.base import Action, Observation
from games.werewolf.config import Role
from games.werewolf.rules import Phase, player_index


class SeerStrategy(StrEnum):
    REVEAL = "reveal"
    HIDE = "hide"


class WolfStrategy(StrEnum):
    FAKE_SEER = "fake_seer"
    LIE_LOW = "lie_low"


class VillagerStrategy(StrEnum):
    FOLLOW_SEER = "follow_seer"
    QUIETEST = "quietest"


class DoctorStrategy(StrEnum):
    PROTECT_SELF = "protect_self"
    PROTECT_SEER = "protect_seer"


class ScriptedParams(BaseModel):
    """The strategy a scripted agent plays in each role it may be dealt."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seer: SeerStrategy = Field(SeerStrategy.REVEAL, description="Reveal on day 1, or hide until a wolf is known.")
    werewolf: WolfStrategy = Field(WolfStrategy.FAKE_SEER, description="Fake a Seer claim, or lie low.")
    villager: VillagerStrategy = Field(VillagerStrategy.FOLLOW_SEER, description="Follow a seer, or vote the quietest.")
    doctor: DoctorStrategy = Field(DoctorStrategy.PROTECT_SEER, description="Protect yourself, or the claimed seer.")

    def strategy(self, role: Role | str) -> StrEnum:
        return getattr(self, Role(role).value)


@dataclass(frozen=True)
class Choice:
    """A discrete decision: candidates best first, with the reason behind the first."""

    ranked: list[str]
    intent: str
    reasoning: str


# ---- village ------------------------------------------------------------------------------------
def _village_vote(t: Table) -> Choice:
    """Vote what the trusted Seer accuses (its wolves, rival claimants, its latest suspect), else the
    most suspicious player it has not cleared."""
    seer = t.trusted_seer()
    cleared: set[str] = set()
    if seer is not None:
        results = t.claimed_results(seer)
        cleared = {seer} | {p for p, wolf in results.items() if not wolf}
        wolves = [p for p, wolf in reversed(results.items()) if wolf]
        rivals = [c for c in t.seer_claimants() if c != seer]
        latest = next((c.accusations for st, c in reversed(t.said) if st["speaker"] == seer), ())
        named = [p for p in dict.fromkeys([*wolves, *rivals, *latest]) if p in t.others and p not in cleared]
        if named:
            return Choice(named + t.best(t.others), "vote_seer_accused", f"trust {seer}, who accuses {named[0]}")
    return _most_accused_vote(t, [p for p in t.others if p not in cleared], cleared)


def _most_accused_vote(t: Table, candidates: list[str], protected: set[str]) -> Choice:
    accused = t.most_accused(candidates, protected)
    if accused:
        return Choice(accused + t.best(candidates), "vote_most_accused", f"{accused[0]} is the most accused")
    return Choice(t.best(candidates, context=f"day{t.day}"), "vote_random", "no evidence; a random pick")


def _follow_speech(t: Table) -> list[SpeechPlan]:
    seer = t.trusted_seer()
    if seer is None:
        return [SpeechPlan(Intent.CALL_FOR_SEER), SpeechPlan(Intent.STAY_VAGUE)]
    vote = _village_vote(t)
    target = vote.ranked[0] if vote.intent == "vote_seer_accused" else None
    return [SpeechPlan(Intent.FOLLOW_SEER, target=target, seer=seer), SpeechPlan(Intent.STAY_VAGUE)]


def _quietest(t: Table) -> list[str]:
    heard = [p for p in t.others if any(st["speaker"] == p for st, _ in t.said)]
    return sorted(heard, key=lambda p: (*t.vagueness(p), -t.tiebreak(p, "quiet")))


def _quiet_speech(t: Table) -> list[SpeechPlan]:
    quiet = _quietest(t)
    return [SpeechPlan(Intent.ACCUSE_QUIET, target=quiet[0])] if quiet else [SpeechPlan(Intent.WATCH_QUIET)]


def _quiet_vote(t: Table) -> Choice:
    quiet = _quietest(t)
    if not quiet:
        return Choice(t.best(t.others, context=f"day{t.day}"), "vote_random", "nobody has spoken yet")
    return Choice(quiet + t.best(t.others), "vote_quietest", f"{quiet[0]} says the least")


# ---- seer ---------------------------------------------------------------------------------------
def _known_wolves(t: Table) -> list[str]:
    """Checked wolves, then anyone else claiming Seer (only the Seer knows that is a lie)."""
    checked = [p for p, wolf in reversed(t.my_results.items()) if wolf and p in t.others]
    return list(dict.fromkeys(checked + [c for c in t.seer_claimants() if c in t.others]))


def _seer_claim(t: Table) -> SpeechPlan:
    """Claim, announce every check, and name who to vote (a known wolf, else the top suspect)."""
    rivals = tuple(c for c in t.seer_claimants() if c in t.others)
    target = _seer_vote(t).ranked[0] if t.others else None
    return SpeechPlan(Intent.CLAIM_SEER_RESULT, target=target, results=dict(t.my_results), rivals=rivals)


def _seer_hide_speech(t: Table) -> list[SpeechPlan]:
    claimed_before = any(st["speaker"] == t.me and c.role_claim == Role.SEER for st, c in t.said)
    if claimed_before or _known_wolves(t):
        return [_seer_claim(t), SpeechPlan(Intent.STAY_VAGUE)]
    innocents = tuple(p for p, wolf in t.my_results.items() if not wolf and p in t.others)
    hint = [SpeechPlan(Intent.HINT_INNOCENT, innocents=innocents)] if innocents else []
    return [*hint, SpeechPlan(Intent.STAY_VAGUE), _seer_claim(t)]


def _seer_vote(t: Table) -> Choice:
    wolves = _known_wolves(t)
    if wolves:
        return Choice(wolves + t.best(t.others), "vote_known_wolf", f"I know {wolves[0]} is a wolf")
    trusted = {t.me} | {p for p, wolf in t.my_results.items() if not wolf}
    return _most_accused_vote(t, [p for p in t.others if p not in t.my_results], trusted)


def _seer_check(t: Table) -> Choice:
    claimants = set(t.seer_claimants())
    fresh = [p for p in t.others if p not in t.my_results and p not in claimants]
    accused, against = t.accusations(), t.votes_against({t.me})
    ranked = t.best(fresh, lambda p: (against[p], accused[p]), f"check{t.day}")
    return Choice(ranked + t.best(t.others), "check_unknown", f"check {ranked[0] if ranked else 'anyone'}")


# ---- doctor -------------------------------------------------------------------------------------
def _protect_seer(t: Table) -> Choice:
    seer = t.trusted_seer()
    if seer is not None and seer in t.others:
        return Choice([seer, *t.best(t.others, context=f"night{t.day}")], "protect_seer", f"{seer} claimed Seer")
    return Choice(t.best(t.others, context=f"night{t.day}"), "protect_random", "no Seer claimed; a random other")


def _protect_self(t: Table) -> Choice:
    fallback = _protect_seer(t)  # used only when a rule forbids protecting yourself tonight
    return Choice([t.me, *fallback.ranked], "protect_self", "I protect myself")


# ---- werewolves ---------------------------------------------------------------------------------
def _fake_claimant(t: Table) -> str:
    """The wolf who claims Seer: whoever already did, else the lowest living id."""
    claimed = [st["speaker"] for st, c in t.said if st["speaker"] in t.team and c.role_claim == Role.SEER]
    living_team = sorted((w for w in t.team if w in t.living), key=player_index)
    return next((w for w in claimed if w in t.living), living_team[0])


def _fake_wolves(t: Table) -> list[str]:
    """Living players our fake Seer called wolves, latest first."""
    results = t.claimed_results(_fake_claimant(t))
    return [p for p, wolf in reversed(results.items()) if wolf and p in t.non_wolves]


def _fake_claim(t: Table) -> SpeechPlan:
    results = t.claimed_results(t.me)
    rivals = tuple(c for c in t.seer_claimants() if c in t.non_wolves)
    if not t.spoke_today(t.me):  # one new "check" per day, like the real Seer
        open_wolf = any(wolf and p in t.living for p, wolf in results.items())
        mates = sorted((w for w in t.team if w in t.others and w not in results), key=player_index)
        if open_wolf and mates:
            results[mates[0]] = False  # "clear" the teammate while the fake wolf is still alive
        else:
            danger = t.accusers_of(t.team)
            fresh = [p for p in t.non_wolves if p not in results]
            pick = [*rivals, *t.best(fresh, lambda p: danger[p], "fake")]
            if pick:
                results[pick[0]] = True
    wolves = [p for p, wolf in reversed(results.items()) if wolf and p in t.non_wolves]
    target = (wolves or list(rivals) or [None])[0]
    return SpeechPlan(Intent.FAKE_CLAIM_SEER, target=target, results=results, rivals=rivals)


def _defend_plan(t: Table, seer: str | None = None) -> SpeechPlan | None:
    """Claim villager against today's latest accuser; ``seer``: a teammate's fake Seer claim to cite."""
    accusers = [a for a in t.accusers_of({t.me}, today=True) if a in t.non_wolves]
    return SpeechPlan(Intent.DEFEND_SELF, target=accusers[-1], seer=seer) if accusers else None


def _lie_low_speech(t: Table) -> list[SpeechPlan]:
    defend = _defend_plan(t)
    accused = t.most_accused(t.non_wolves)
    bandwagon = [SpeechPlan(Intent.BANDWAGON, target=accused[0])] if accused else []
    return [p for p in (defend, *bandwagon, SpeechPlan(Intent.STAY_VAGUE)) if p is not None]


def _fake_seer_speech(t: Table) -> list[SpeechPlan]:
    claimant = _fake_claimant(t)
    if claimant == t.me:
        return [_fake_claim(t), *_lie_low_speech(t)]
    defend = _defend_plan(t, seer=claimant if claimant in t.seer_claimants() else None)
    fakes = _fake_wolves(t)
    vouch = SpeechPlan(Intent.VOUCH_TEAMMATE, target=fakes[0] if fakes else None, seer=claimant)
    if defend is not None:
        return [defend, vouch] if t.spoke_today(claimant) else [defend]
    return [vouch, *_lie_low_speech(t)] if t.spoke_today(claimant) else _lie_low_speech(t)


def _lie_low_vote(t: Table) -> Choice:
    accused = t.most_accused(t.non_wolves)
    claimants = [c for c in t.seer_claimants() if c in t.non_wolves]
    ranked = list(dict.fromkeys(accused + claimants + t.best(t.non_wolves, context=f"day{t.day}")))
    return Choice(ranked, "bandwagon_vote", f"blend in: vote {ranked[0]} with the crowd")


def _fake_seer_vote(t: Table) -> Choice:
    fakes = _fake_wolves(t)
    claimants = [c for c in t.seer_claimants() if c in t.non_wolves]
    if fakes or claimants:
        ranked = list(dict.fromkeys(fakes + claimants + _lie_low_vote(t).ranked))
        return Choice(ranked, "vote_fake_wolf", f"push our fake Seer's story: vote {ranked[0]}")
    return _lie_low_vote(t)


def _wolf_kill(t: Table, proposal: str | None) -> Choice:
    if proposal is not None and proposal in t.non_wolves:
        return Choice([proposal, *t.non_wolves], "kill_proposed", f"agree with my teammate: {proposal}")
    claimants = set(t.seer_claimants())
    danger = t.accusers_of(t.team)
    keep = set(_fake_wolves(t))  # killing a player we called a wolf would expose the fake Seer
    # a player we attacked who survived is guarded by the Doctor: hit someone else
    ranked = t.best(
        t.non_wolves, lambda p: (p not in keep, p not in t.saved, p in claimants, danger[p]), f"kill{t.day}"
    )
    why = "claimed Seer" if ranked[0] in claimants else f"accused us {danger[ranked[0]]} times"
    return Choice(ranked, "kill_threat", f"kill {ranked[0]}: {why}")


# ---- strategies ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Strategy:
    """How one role plays one strategy: ranked speech plans, votes and the night move."""

    speak: Callable[[Table], list[SpeechPlan]]
    vote: Callable[[Table], Choice]
    night: Callable[[Table, str | None], Choice] = field(default=lambda t, proposal: _no_night_move(t))


def _no_night_move(t: Table) -> Choice:
    return Choice(t.best(t.others), "none", "this role has no night move")


STRATEGIES: dict[tuple[Role, str], Strategy] = {
    (Role.SEER, SeerStrategy.REVEAL): Strategy(lambda t: [_seer_claim(t)], _seer_vote, lambda t, _: _seer_check(t)),
    (Role.SEER, SeerStrategy.HIDE): Strategy(_seer_hide_speech, _seer_vote, lambda t, _: _seer_check(t)),
    (Role.WEREWOLF, WolfStrategy.FAKE_SEER): Strategy(_fake_seer_speech, _fake_seer_vote, _wolf_kill),
    (Role.WEREWOLF, WolfStrategy.LIE_LOW): Strategy(_lie_low_speech, _lie_low_vote, _wolf_kill),
    (Role.VILLAGER, VillagerStrategy.FOLLOW_SEER): Strategy(_follow_speech, _village_vote),
    (Role.VILLAGER, VillagerStrategy.QUIETEST): Strategy(_quiet_speech, _quiet_vote),
    (Role.DOCTOR, DoctorStrategy.PROTECT_SELF): Strategy(_quiet_speech, _quiet_vote, lambda t, _: _protect_self(t)),
    (Role.DOCTOR, DoctorStrategy.PROTECT_SEER): Strategy(_follow_speech, _village_vote, lambda t, _: _protect_seer(t)),
}


def label(role: Role, strategy: str) -> str:
    return f"{role.value}:{strategy}"


class ScriptedWerewolfAgent:
    """One seat of one match, playing the strategy ``params`` names for the role it was dealt."""

    def __init__(self, name: str, rng: np.random.Generator, params: ScriptedParams | None = None) -> None:
        self.name = name
        self.rng = rng
        self.params = params or ScriptedParams()
        self.salt = int(rng.integers(2**31))  # fixed per match: which of two equal options this agent prefers

    async def act(self, obs: Observation) -> Action:
        return (await self.propose(obs, 1))[0]

    async def propose(self, obs: Observation, n: int) -> list[Action]:
        """``n`` candidates: for speech, different intents (other strategies of the role) first."""
        table = Table.read(obs.data, self.salt)
        own = self.params.strategy(table.role)
        if obs.legal is None:
            return [self._say(plan, tag, table) for plan, tag in _cycle(self._speech_plans(table, own), n)]
        choice = self._decide(table, obs, STRATEGIES[table.role, own])
        legal = [c for c in choice.ranked if c in obs.legal] or list(obs.legal)
        tag = label(table.role, own)
        return [Action(c, reasoning=choice.reasoning, label=tag, intent=choice.intent) for c in _cycle(legal, n)]

    @staticmethod
    def _speech_plans(table: Table, own: StrEnum) -> list[tuple[SpeechPlan, str]]:
        """Distinct plans with the strategy label each belongs to: my strategy's choice, the other
        strategies' choices for this role (so candidates differ in intent), then their fallbacks."""
        ranked = [
            [(plan, label(table.role, s)) for plan in STRATEGIES[table.role, s].speak(table)]
            for s in [own, *(s for s in type(own) if s != own)]
        ]
        firsts, rests = [r[0] for r in ranked], [item for r in ranked for item in r[1:]]
        unique: dict[tuple[Any, ...], tuple[SpeechPlan, str]] = {}
        for plan, tag in firsts + rests:
            key = (plan.intent, plan.target, plan.seer, tuple(plan.results.items()), plan.rivals, plan.innocents)
            unique.setdefault(key, (plan, tag))
        return list(unique.values())

    def _say(self, plan: SpeechPlan, tag: str, table: Table) -> Action:
        about = ", ".join(f"{k}={v}" for k, v in (("target", plan.target), ("seer", plan.seer)) if v)
        why = f"{tag} on day {table.day}: {plan.intent.value}" + (f" ({about})" if about else "")
        return Action(render(plan, self.rng), reasoning=why, label=tag, intent=plan.intent.value)

    @staticmethod
    def _decide(table: Table, obs: Observation, strategy: Strategy) -> Choice:
        phase = Phase(obs.data["phase"])
        if phase is Phase.DAY_VOTE:
            return strategy.vote(table)
        return strategy.night(table, obs.data.get("wolf_proposal") if phase is Phase.NIGHT_WOLF_KILL else None)


def _cycle(items: list[Any], n: int) -> list[Any]:
    """``n`` items, repeating the list when it is shorter (repeats get fresh wording)."""
    return [items[i % len(items)] for i in range(n)]
