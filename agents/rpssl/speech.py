"""Varied template speech for the scripted RPSSL agents: many ways to say one move.

:func:`say` draws an opener, a body and a closer from the agent's rng, so the same move reads differently
each time and a clustering method has work to do. Bodies come in four families: plain statements
("I'm throwing Spock this time."), a reason (a rule quoted, "Spock smashes scissors, so Spock it is.", or
the move's own quality, "Spock's logic wins, so Spock it is."), a statement that rules other moves out
("Not rock, not paper: lizard.", "Forget the others: lizard.") and per-move flavour ("Sssss... lizard.").
The move a statement plays is named at least as often as any other move, so it dominates what the
statement means (the latent clusters are meant to be the moves). Every rendering parses back to the move
it was made for (:func:`games.rpssl.parse.parse_move`); ``tests/test_rpssl_agents.py`` checks both for
every template.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from games.rpssl.rules import BEATS, MOVES, VERBS, Move, display

# Placeholders: {m} the move as written in prose, {M} capitalised, {U} upper case, {x} a move it beats,
# {verb} the rule's verb for {m} against {x}, {o} and {o2} two other moves (never {m}).
PLAIN = (
    "I'm throwing {m} this time.",
    "{M}. Final answer.",
    "I'll go with {m}.",
    "My move is {m}.",
    "{M} it is.",
    "I choose {m}.",
    "Going with {m} this round.",
    "I play {m}.",
    "{M} for me.",
    "Put me down for {m}.",
    "My pick: {m}.",
    "I'm picking {m}.",
    "{U}!",
    "I'm going {m}, no hesitation.",
    "Call it: {m}.",
    "This round I'm playing {m}.",
    "Easy choice: {m}.",
    "{M}, obviously.",
    "I'm locking in {m}.",
    "Here comes {m}.",
    "I'll take {m}.",
    "Hmm... {m}.",
    "I've decided on {m}.",
    "{M}. No second thoughts.",
    "Let me show my hand: {m}.",
    "I'm feeling {m} today.",
)
RULE = (
    "{M} {verb} {x}, so {m} it is.",
    "I'll play {m}, because {m} {verb} {x}.",
)
"""Reasons that quote a rule; the chosen move is named twice, the beaten one once."""
REASON: dict[Move, tuple[str, ...]] = {
    Move.ROCK: (
        "Nothing breaks {m}, so {m} it is.",
        "{M} is solid and steady. That's why I'm playing {m}.",
        "Remember, {m} crushes whatever it lands on. {M} for me.",
    ),
    Move.PAPER: (
        "{M} covers every angle, so {m} it is.",
        "{M} is quiet but clever. That's why I'm playing {m}.",
        "Remember, {m} wraps things up neatly. {M} for me.",
    ),
    Move.SCISSORS: (
        "{M} cuts through anything, so {m} it is.",
        "{M} is fast and sharp. That's why I'm playing {m}.",
        "Remember, {m} make short work of things. {M} for me.",
    ),
    Move.SPOCK: (
        "Spock's logic wins, so {m} it is.",
        "{M} is the most logical choice. That's why I'm playing {m}.",
        "Remember, nobody outthinks {m}. {M} for me.",
    ),
    Move.LIZARD: (
        "The {m} strikes first, so {m} it is.",
        "{M} is quick and venomous. That's why I'm playing {m}.",
        "Remember, the {m} eats whatever it catches. {M} for me.",
    ),
}
"""Reasons from the chosen move's own qualities (no other move named), per move."""
RULE_OUT = (
    "Not {o}, not {o2}: {m}.",
    "I'm not playing {o} this time. {M}, definitely {m}.",
    "{M}, not {o}. Just {m}.",
    "I'll play {m} instead of {o}.",
    "Anything but {o}... so, {m}.",
    "No {o} from me; I'm going with {m}.",
    "Forget the others: {m}.",
    "I weighed every option and settled on {m}.",
    "Only one move makes sense: {m}.",
)
"""Statements that rule moves out; the ones naming a rejected move name the chosen one at least as often."""
FLAVOUR: dict[Move, tuple[str, ...]] = {
    Move.ROCK: ("Solid as a {m}: that's my move.", "Rock and roll! {M} it is."),
    Move.PAPER: ("{M}, neatly folded.", "I'll wrap this up with {m}."),
    Move.SCISSORS: ("Snip snip: {m}.", "Sharp choice: {m}."),
    Move.SPOCK: ("Live long and prosper: {m}.", "Logic dictates {m}.", "Fascinating. I choose {m}."),
    Move.LIZARD: ("Sssss... {m}.", "Time for the {m} to strike.", "The {m} is hungry. {M}."),
}
OPENERS = (
    "", "", "", "", "Okay.", "Alright.", "Let's see.", "Here goes.", "Well, well.", "Ready?", "Hmm.",
    "No overthinking.", "Right then.", "Here's the thing.",
)  # fmt: skip
CLOSERS = (
    "", "", "", "", "Good luck.", "Beat that.", "Let's see what happens.", "No regrets.", "Your move.",
    "Bring it on.", "Fingers crossed.",
)  # fmt: skip
FAMILIES: tuple[tuple[str, float], ...] = (("plain", 0.55), ("rule", 0.15), ("rule_out", 0.15), ("flavour", 0.15))
"""Template families and how often each is drawn."""


def bodies(move: Move) -> dict[str, tuple[str, ...]]:
    """The body templates of each family for ``move``."""
    return {"plain": PLAIN, "rule": RULE + REASON[move], "rule_out": RULE_OUT, "flavour": FLAVOUR[move]}


def fill(template: str, move: Move, rng: np.random.Generator) -> str:
    """Fill one template for ``move``; the other moves it names are drawn from ``rng``."""
    name = display(move)
    beaten = sorted(BEATS[move])
    x = beaten[int(rng.integers(len(beaten)))]
    others = [m for m in MOVES if m is not move]
    o, o2 = (others[i] for i in rng.choice(len(others), size=2, replace=False))
    return template.format(
        m=name,
        M=name[0].upper() + name[1:],
        U=name.upper(),
        x=display(x),
        verb=VERBS[move, x],
        o=display(o),
        o2=display(o2),
    )


def say(move: Move, rng: np.random.Generator, plain: bool = False) -> tuple[str, str]:
    """``(statement, template id)``: ``move`` in words drawn from ``rng`` (``plain``: "I play {m}." only).

    The id (``family/index``) names the body template, for analysis of the clusters."""
    if plain:
        return f"I play {display(move)}.", "plain/7"
    names, weights = zip(*FAMILIES, strict=True)
    family = names[int(rng.choice(len(names), p=np.array(weights) / sum(weights)))]
    options = bodies(move)[family]
    k = int(rng.integers(len(options)))
    parts = (_pick(OPENERS, rng), fill(options[k], move, rng), _pick(CLOSERS, rng))
    return " ".join(p for p in parts if p), f"{family}/{k}"


def _pick(pool: Sequence[str], rng: np.random.Generator) -> str:
    return pool[int(rng.integers(len(pool)))]
