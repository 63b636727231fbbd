"""Varied template speech for the scripted Werewolf agents.

A :class:`SpeechPlan` says WHAT to say (an :class:`Intent` and the players it is about); :func:`render`
says it, drawing wording, sentence order, openers, hedges and closers from the agent's rng, so the same
intent reads differently each time and a clustering method has to work to find the strategy. Every
wording keeps the plan's meaning as :func:`games.werewolf.claims.parse_claims` reads it, and
:meth:`SpeechPlan.claims` states that meaning (``tests/test_claims.py`` checks the round trip).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from games.werewolf.claims import Claims


class Intent(StrEnum):
    """Utterance-level intents (ground truth recorded in the statement event's ``meta``)."""

    CLAIM_SEER_RESULT = "claim_seer_result"  # the real Seer reveals and announces checks
    FAKE_CLAIM_SEER = "fake_claim_seer"  # a wolf claims Seer with invented checks
    HINT_INNOCENT = "hint_innocent"  # a hidden Seer vouches for players it checked, without claiming
    STAY_VAGUE = "stay_vague"  # says nothing concrete
    CALL_FOR_SEER = "call_for_seer"  # asks the Seer to come forward
    FOLLOW_SEER = "follow_seer"  # backs a claimed Seer and votes their wolf
    VOUCH_TEAMMATE = "vouch_teammate"  # a wolf backs its teammate's fake Seer claim
    ACCUSE_QUIET = "accuse_quiet"  # suspects the quietest / vaguest player
    BANDWAGON = "bandwagon"  # joins the accusation most players already make
    DEFEND_SELF = "defend_self"  # claims villager and turns on the accuser


@dataclass(frozen=True)
class SpeechPlan:
    """What to say before any wording: an intent and the players it concerns."""

    intent: Intent
    target: str | None = None  # who to vote out (or, for defend_self, the accuser)
    seer: str | None = None  # the claimed Seer being followed
    results: Mapping[str, bool] = field(default_factory=dict)  # announced checks: player -> is_werewolf
    rivals: tuple[str, ...] = ()  # other Seer claimants called liars
    innocents: tuple[str, ...] = ()  # players hinted innocent

    def claims(self) -> Claims:
        """The meaning every rendering of this plan must parse to."""
        accused: list[str] = []
        defended: list[str] = []
        role = _ROLE_OF_INTENT.get(self.intent)
        match self.intent:
            case Intent.CLAIM_SEER_RESULT | Intent.FAKE_CLAIM_SEER:
                accused = [p for p, wolf in self.results.items() if wolf] + [*self.rivals, *_opt(self.target)]
                defended = [p for p, wolf in self.results.items() if not wolf]
            case Intent.HINT_INNOCENT:
                defended = list(self.innocents)
            case Intent.FOLLOW_SEER | Intent.VOUCH_TEAMMATE:
                defended, accused = [*_opt(self.seer)], [*_opt(self.target)]
            case Intent.ACCUSE_QUIET | Intent.BANDWAGON | Intent.DEFEND_SELF:
                accused = [*_opt(self.target)]
        results = self.results if role == "seer" else {}
        return Claims(role, tuple(dict.fromkeys(accused)), tuple(dict.fromkeys(defended)), dict(results))


_ROLE_OF_INTENT = {Intent.CLAIM_SEER_RESULT: "seer", Intent.FAKE_CLAIM_SEER: "seer", Intent.DEFEND_SELF: "villager"}


def _opt(name: str | None) -> list[str]:
    return [] if name is None else [name]


# ---- wording pools ------------------------------------------------------------------------------
# No pool line may carry a cue the parser would read as more than its plan says (see claims.py).
OPENERS = (
    "", "", "", "Okay.", "Alright, everyone.", "Listen up.", "Morning, all.", "Well.", "Right.",
    "Let me keep this short.", "Here is where I stand.", "Hmm, let me think out loud.",
)  # fmt: skip
CLOSERS = (
    "", "", "", "That's all from me.", "Let's be smart about this.", "We can still win this.",
    "Think it over.", "Choose carefully.", "I'm done talking for now.",
)  # fmt: skip
FIRM_HEDGES = ("", "", "Honestly, ", "To be frank, ", "Mark my words: ", "For the record, ")
SOFT_HEDGES = (*FIRM_HEDGES, "I could be wrong, but ", "I might be wrong, but ", "Just a thought: ")
CLAIM_SEER = (
    "I am the Seer.",
    "I'm the seer, and it is time I came out.",
    "Time to reveal myself: I am the Seer.",
    "Seer here.",
    "I have to say it now: I'm the seer.",
    "I'll be open with you all, I'm the seer.",
)
RESULT_WOLF = (
    "Last night I checked {x}, and {x} is a werewolf.",
    "My check on {x} came back: werewolf.",
    "I inspected {x}. They are a wolf.",
    "{x} is a werewolf; I saw it in my vision.",
    "I investigated {x} and found a werewolf.",
    "My vision was about {x}, and it showed one of the wolves.",
)
RESULT_INNOCENT = (
    "I checked {x}: not a werewolf.",
    "My vision shows {x} is innocent.",
    "{x} came back clean when I checked.",
    "I inspected {x}, and {x} is a villager.",
    "I looked into {x}. They are on our side.",
)
COUNTER = (
    "{x} is lying about being the seer.",
    "Do not believe {x}; that claim is fake.",
    "{x}'s claim is false, there is only one seer and it is me.",
    "{x} is not the real seer, whatever they say.",
    "{x} is an impostor.",
)
CALL_VOTE = (
    "Vote {x} out today.",
    "Let's eliminate {x}.",
    "My vote goes to {x}, and I hope yours does too.",
    "We have to get rid of {x} today.",
    "Everyone, please vote for {x}.",
)
NO_WOLF_YET = ("No wolf found yet, but I'll keep checking.", "I'll keep checking every night.", "")
HINT = (
    "I have a good feeling about {x}.",
    "For what it is worth, I'd trust {x}.",
    "{x} seems honest to me.",
    "I would not vote for {x} today.",
    "{x} strikes me as one of us.",
)
VAGUE = (
    "It is too early to point fingers.",
    "I don't have much to go on yet.",
    "I'm still listening; nothing stands out to me so far.",
    "Let's hear everyone out before we decide.",
    "Hard to say anything useful yet.",
    "I'm a bit lost, honestly. Let's see how the day goes.",
)
CALL_SEER = (
    "If we have a seer, now is the time to speak up.",
    "Whoever the seer is, please come forward with what you know.",
    "We need information. Seer, tell us what you saw.",
    "No one has given us anything solid yet. Seer, if you are out there, talk to us.",
)
BACK_SEER = (
    "I believe {s}.",
    "{s} sounds like the real seer to me.",
    "I'm with {s} on this one.",
    "I'm following {s}'s lead.",
    "{s} seems truthful to me.",
    "For now I'm backing {s}.",
)
SEER_TARGET = (
    "That makes {x} our wolf, so I'm voting {x}.",
    "{x} has to go.",
    "Vote {x}.",
    "{x} is the wolf they found, and {x} should be voted out.",
    "My vote is on {x}.",
)
QUIET = (
    "{x} has barely said anything, which worries me.",
    "{x} is awfully quiet. I don't like it.",
    "{x} keeps giving vague answers, and that's how a wolf hides.",
    "Quiet players worry me, and {x} has been the quietest. I'm voting {x}.",
    "My eyes are on {x}: too quiet and too careful.",
)
BANDWAGON = (
    "Like others said, {x} looks suspicious.",
    "Several of you already pointed at {x}, and I think you're right.",
    "{x}'s name keeps coming up. I'll vote {x} with the rest of you.",
    "I'm convinced by the case against {x}.",
    "Count me in on {x}; that player is suspicious.",
)
I_AM_VILLAGER = (
    "I am not a werewolf. I'm just a villager trying to help.",
    "Whoa, I'm a plain villager here, not a wolf.",
    "Accusing me is a mistake; I'm an ordinary villager.",
    "I'm a villager, and I have nothing to hide.",
)
TURN_ON_ACCUSER = (
    "{x} is far too eager to get me voted out, and that is suspicious.",
    "I'd rather we look at {x}, who came after me for no reason.",
    "Frankly, {x} is the one who seems off here.",
    "{x} is deflecting onto me.",
)


def _pick(pool: Sequence[str], rng: np.random.Generator, **slots: str) -> str:
    return pool[int(rng.integers(len(pool)))].format(**slots)


def _names(players: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return players[0] if len(players) == 1 else f"{', '.join(players[:-1])} and {players[-1]}"


def _seer_claim(plan: SpeechPlan, rng: np.random.Generator) -> list[str]:
    results = [_pick(RESULT_WOLF if wolf else RESULT_INNOCENT, rng, x=p) for p, wolf in plan.results.items()]
    body = results + [_pick(COUNTER, rng, x=r) for r in plan.rivals]
    body.append(_pick(CALL_VOTE, rng, x=plan.target) if plan.target else _pick(NO_WOLF_YET, rng))
    body = [body[i] for i in rng.permutation(len(body))]
    body.insert(int(rng.integers(2)), _pick(CLAIM_SEER, rng))  # the claim comes first or second
    return body


def _follow(plan: SpeechPlan, rng: np.random.Generator) -> list[str]:
    parts = [_pick(BACK_SEER, rng, s=plan.seer)]
    return [*parts, _pick(SEER_TARGET, rng, x=plan.target)] if plan.target else parts


def _defend(plan: SpeechPlan, rng: np.random.Generator) -> list[str]:
    parts = [_pick(I_AM_VILLAGER, rng)]
    if plan.target:
        parts.append(_pick(TURN_ON_ACCUSER, rng, x=plan.target))
    return [parts[i] for i in rng.permutation(len(parts))]


_BUILDERS: dict[Intent, Callable[[SpeechPlan, np.random.Generator], list[str]]] = {
    Intent.CLAIM_SEER_RESULT: _seer_claim,
    Intent.FAKE_CLAIM_SEER: _seer_claim,
    Intent.HINT_INNOCENT: lambda plan, rng: [_pick(HINT, rng, x=_names(plan.innocents))],
    Intent.STAY_VAGUE: lambda plan, rng: [_pick(VAGUE, rng)],
    Intent.CALL_FOR_SEER: lambda plan, rng: [_pick(CALL_SEER, rng)],
    Intent.FOLLOW_SEER: _follow,
    Intent.VOUCH_TEAMMATE: _follow,
    Intent.ACCUSE_QUIET: lambda plan, rng: [_pick(QUIET, rng, x=plan.target)],
    Intent.BANDWAGON: lambda plan, rng: [_pick(BANDWAGON, rng, x=plan.target)],
    Intent.DEFEND_SELF: _defend,
}


# a Seer claim or a self-defence is not said with "I could be wrong"
_FIRM = frozenset({Intent.CLAIM_SEER_RESULT, Intent.FAKE_CLAIM_SEER, Intent.DEFEND_SELF})


def _hedge(sentence: str, intent: Intent, rng: np.random.Generator) -> str:
    hedge = _pick(FIRM_HEDGES if intent in _FIRM else SOFT_HEDGES, rng)
    if not hedge or not sentence:
        return sentence
    keep_case = sentence.startswith(("I ", "I'", "player_", "Seer")) or sentence[:1].islower()
    return hedge + (sentence if keep_case else sentence[0].lower() + sentence[1:])


def render(plan: SpeechPlan, rng: np.random.Generator) -> str:
    """One wording of ``plan``: opener, the intent's sentences (first one maybe hedged), closer."""
    body = _BUILDERS[plan.intent](plan, rng)
    body[0] = _hedge(body[0], plan.intent, rng)
    parts = [_pick(OPENERS, rng), *body, _pick(CLOSERS, rng)]
    return " ".join(p for p in parts if p)
