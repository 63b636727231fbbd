"""Varied template speech for the scripted Werewolf agents.

A :class:`SpeechPlan` says WHAT to say (an :class:`Intent` and the players it is about); :func:`render`
says it, drawing wording, sentence order, openers, hedges and closers from the agent's rng, so the same
intent reads differently each time and a clustering method has to work to find the strategy. Each
intent is said in a :class:`Voice` (a Seer's certainty, a low profile, or plain) so that a strategy's
utterances hang together in meaning, not only in the players they name. Every wording keeps the
plan's meaning as :func:`games.werewolf.claims.parse_claims` reads it, and :meth:`SpeechPlan.claims`
states that meaning (``tests/test_claims.py`` checks the round trip).
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
    WATCH_QUIET = "watch_quiet"  # before anyone has spoken: says it will watch who stays quiet


@dataclass(frozen=True)
class SpeechPlan:
    """What to say before any wording: an intent and the players it concerns."""

    intent: Intent
    target: str | None = None  # who to vote out (or, for defend_self, the accuser)
    seer: str | None = None  # the claimed Seer being followed (defend_self: whose checks it cites, unnamed)
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
# a low-profile voice (saying nothing, going along, meekly defending) and a Seer's voice (claiming,
# vouching for a claim, leaning on one): the same sizes and word counts as the plain pools
LOW_OPENERS = ("", "", "", "Um.", "Well, okay.", "Hmm, well.", "Sorry, um.", "So.", "Hmm.",
               "I won't say much today.", "Just a quick word, then.", "I'll keep this short, as usual.")  # fmt: skip
LOW_CLOSERS = ("", "", "", "Anyway, that's just me.", "I'll go with the group.", "I'll leave it at that.",
               "That's all, really.", "Carry on.", "I'll follow your lead, everyone.")  # fmt: skip
SEER_OPENERS = ("", "", "", "Listen.", "Hear me.", "Listen carefully.", "Attention, everyone.", "Now.", "Friends.",
                "The night has spoken again.", "Here is what we know.", "Here is what the checks say.")  # fmt: skip
SEER_CLOSERS = ("", "", "", "Trust the visions, everyone.", "The checks will guide us.", "Act on the checks, everyone.",
                "Trust the checks.", "Act accordingly.", "The truth is out now.")  # fmt: skip
FIRM_HEDGES = ("", "", "Honestly, ", "To be frank, ", "Mark my words: ", "For the record, ")
SOFT_HEDGES = (*FIRM_HEDGES, "I could be wrong, but ", "I might be wrong, but ", "Just a thought: ")
MEEK_HEDGES = ("", "", "Um, ", "In all honesty, ", "If I may, ", "Truth be told, ")
LOW_HEDGES = ("", "", "Personally, ", "As for me, ", "In my view, ", "To be fair, ", "I don't know much, but ",
              "I'm no expert here, but ", "Speaking for myself, ")  # fmt: skip
SURE_HEDGES = ("", "", "Honestly, ", "To be frank, ", "Mark my words: ", "For the record, ",
               "Make no mistake about it: ", "I'm telling you all plainly: ", "Trust me here: ")  # fmt: skip
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
VAGUE = (  # low-profile: unsure and deferential, never claiming to know anything
    "I'll go along with the majority today.",
    "For now, I'll just vote with the group.",
    "Nothing stands out to me, so I'll follow the majority.",
    "Whatever most of you decide is fine.",
    "I'm unsure; I'll follow the group.",
    "I can't tell yet, so I'll keep my head down today.",
)
WATCH = (
    "Nobody has said much yet, so I'll be listening for who stays quiet.",
    "The quiet ones usually give themselves away. I'll be listening for who holds back today.",
    "First thing I look for: who says the least today.",
    "Speak up, everyone. Staying silent is what a wolf would do.",
)
CALL_SEER = (
    "If we have a seer, now is the time to speak up.",
    "Whoever the seer is, please come forward with what you know.",
    "We need information. Seer, tell us what you saw.",
    "No one has given us anything solid yet. Seer, if you are out there, talk to us.",
)
BACK_SEER = (  # every wording names the Seer claim: following a Seer is what this speech is about
    "I believe {s} is the real seer.",
    "{s} sounds like the real seer to me.",
    "I'm following our seer, {s}.",
    "{s} seems like a truthful seer to me.",
    "For now I'm backing {s} as our seer.",
    "I trust {s}'s seer reading.",
)
SEER_TARGET = (
    "That makes {x} the seer's wolf, so I'm voting {x}.",
    "Going by the seer, {x} has to go.",
    "Following the seer, vote {x}.",
    "{x} is the wolf the seer found, and {x} should be voted out.",
    "My vote is on {x}, the seer's pick.",
)
QUIET = (
    "{x} has barely said anything, which worries me.",
    "{x} is awfully quiet. I don't like it.",
    "{x} keeps giving vague answers, and that's how a wolf hides.",
    "Quiet players worry me, and {x} has been the quietest. I'm voting {x}.",
    "My eyes are on {x}: too quiet and too careful.",
)
BANDWAGON = (  # going along with the majority, unsure, never claiming to know
    "I guess I'll vote {x} too.",
    "If most of you want {x} gone, I'll vote {x} as well.",
    "I can't really tell, so I'll go with the majority and vote {x}.",
    "I'll just vote {x} with the majority.",
    "I'll go along with everyone else and vote {x}.",
)
I_AM_VILLAGER = (  # a low-profile wolf under fire: meek, a plain villager who goes along with the group
    "I'm just a villager keeping my head down, nothing more than that.",
    "I'm a villager; I just go along with everyone.",
    "I'm just a villager. I really don't know much.",
    "I'm only a villager who votes with the majority.",
)
TURN_ON_ACCUSER = (
    "{x} seems a bit too eager to get me voted out, which is odd.",
    "If most of you agree, I'd rather go along and vote {x} instead.",
    "I'm not sure, but {x} seems a little off.",
    "{x} seems odd, I guess.",
)
SEER_CLEARS_ME = (  # a wolf under fire leaning on its teammate's fake Seer claim (the Seer unnamed)
    "I'm a villager, and the seer's checks have never pointed at me.",
    "I'm a villager, and the seer's visions confirm it.",
    "The seer's checks speak for themselves: I'm a villager.",
    "I'm a villager; our seer's vision would show it.",
)
SEER_ACCUSER = (
    "{x} goes after me instead of the wolf the seer exposed, which is suspicious.",
    "{x} is suspicious, brushing off the seer's clear vision to come after me.",
    "{x} ignores the seer's checks entirely, which is suspicious.",
    "{x} keeps contradicting our seer.",
)
VOUCH_SEER = (  # a wolf backing its teammate's fake Seer claim: certain of the visions
    "{s}'s visions never miss; I trust {s}.",
    "{s} is the real seer, beyond any doubt.",
    "I trust {s}'s checks completely.",
    "{s}'s checks hold up, so I believe {s}.",
    "I'm quite certain {s} is the true seer.",
    "I fully believe {s}'s visions.",
)
VISION_TARGET = (
    "The seer's check on {x} came back werewolf: vote {x}.",
    "The vision caught {x}, so vote {x} out.",
    "Vote {x}, the seer's wolf.",
    "{x} was checked and found to be a werewolf, so I'm voting {x}.",
    "The vision clearly exposed {x}; I'm voting {x}.",
)
# Word counts are part of the game: the quietest-player heuristic (Table.vagueness) reads them, so a
# pool standing in for another keeps its size and its words line for line (SEER_CLEARS_ME for
# I_AM_VILLAGER, SEER_ACCUSER for TURN_ON_ACCUSER, VOUCH_SEER for BACK_SEER, VISION_TARGET for
# SEER_TARGET; the voices' openers, closers and hedges likewise), and rewording a line with a
# different word count can change who gets voted out.


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


def _vouch(plan: SpeechPlan, rng: np.random.Generator) -> list[str]:
    """A wolf backing its teammate's fake claim speaks of the visions and their certainty."""
    parts = [_pick(VOUCH_SEER, rng, s=plan.seer)]
    return [*parts, _pick(VISION_TARGET, rng, x=plan.target)] if plan.target else parts


def _defend(plan: SpeechPlan, rng: np.random.Generator) -> list[str]:
    """Claim villager and turn on the accuser: by the Seer's checks when a (teammate) Seer is given,
    else meekly, as someone keeping a low profile."""
    me, accuser = (SEER_CLEARS_ME, SEER_ACCUSER) if plan.seer else (I_AM_VILLAGER, TURN_ON_ACCUSER)
    parts = [_pick(me, rng)]
    if plan.target:
        parts.append(_pick(accuser, rng, x=plan.target))
    return [parts[i] for i in rng.permutation(len(parts))]


_BUILDERS: dict[Intent, Callable[[SpeechPlan, np.random.Generator], list[str]]] = {
    Intent.CLAIM_SEER_RESULT: _seer_claim,
    Intent.FAKE_CLAIM_SEER: _seer_claim,
    Intent.HINT_INNOCENT: lambda plan, rng: [_pick(HINT, rng, x=_names(plan.innocents))],
    Intent.STAY_VAGUE: lambda plan, rng: [_pick(VAGUE, rng)],
    Intent.CALL_FOR_SEER: lambda plan, rng: [_pick(CALL_SEER, rng)],
    Intent.FOLLOW_SEER: _follow,
    Intent.VOUCH_TEAMMATE: _vouch,
    Intent.ACCUSE_QUIET: lambda plan, rng: [_pick(QUIET, rng, x=plan.target)],
    Intent.BANDWAGON: lambda plan, rng: [_pick(BANDWAGON, rng, x=plan.target)],
    Intent.DEFEND_SELF: _defend,
    Intent.WATCH_QUIET: lambda plan, rng: [_pick(WATCH, rng)],
}


@dataclass(frozen=True)
class Voice:
    """The register a plan is said in: hedges for its first sentence, openers and closers.

    Every pool has as many entries, with as many words entry for entry, as the plain pool it stands
    for (a Seer claim and a self-defence are firm: ``FIRM_HEDGES``; the rest ``SOFT_HEDGES``).
    """

    hedges: Sequence[str]
    openers: Sequence[str] = OPENERS
    closers: Sequence[str] = CLOSERS


PLAIN = Voice(SOFT_HEDGES)
SEER_VOICE = Voice(FIRM_HEDGES, SEER_OPENERS, SEER_CLOSERS)  # claims the Seer, or leans on a claim
VOUCH_VOICE = Voice(SURE_HEDGES, SEER_OPENERS, SEER_CLOSERS)  # sure of another's visions
LOW_VOICE = Voice(LOW_HEDGES, LOW_OPENERS, LOW_CLOSERS)  # says nothing, or goes along with the crowd
MEEK_VOICE = Voice(MEEK_HEDGES, LOW_OPENERS, LOW_CLOSERS)  # a low-profile self-defence
_VOICES = {
    **{intent: PLAIN for intent in Intent},
    Intent.CLAIM_SEER_RESULT: SEER_VOICE,
    Intent.FAKE_CLAIM_SEER: SEER_VOICE,
    Intent.VOUCH_TEAMMATE: VOUCH_VOICE,
    Intent.STAY_VAGUE: LOW_VOICE,
    Intent.BANDWAGON: LOW_VOICE,
}


def _voice(plan: SpeechPlan) -> Voice:
    if plan.intent is Intent.DEFEND_SELF:  # leaning on a (teammate's) Seer claim, or meek
        return SEER_VOICE if plan.seer else MEEK_VOICE
    return _VOICES[plan.intent]


def _hedge(sentence: str, hedges: Sequence[str], rng: np.random.Generator) -> str:
    hedge = _pick(hedges, rng)
    if not hedge or not sentence:
        return sentence
    keep_case = sentence.startswith(("I ", "I'", "player_", "Seer")) or sentence[:1].islower()
    return hedge + (sentence if keep_case else sentence[0].lower() + sentence[1:])


def render(plan: SpeechPlan, rng: np.random.Generator) -> str:
    """One wording of ``plan`` in its voice: opener, the intent's sentences (first one maybe hedged),
    closer."""
    voice = _voice(plan)
    body = _BUILDERS[plan.intent](plan, rng)
    body[0] = _hedge(body[0], voice.hedges, rng)
    parts = [_pick(voice.openers, rng), *body, _pick(voice.closers, rng)]
    return " ".join(p for p in parts if p)
