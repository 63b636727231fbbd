"""Free text -> the move it states: how an RPSSL statement is scored.

Players *say* what they play ("I'll go with Spock.", "Lizard. Final answer."); the rules score the move
this parser reads. It is deliberately conservative: a statement it cannot read as exactly one move is
:attr:`ParseStatus.NO_MOVE` or :attr:`ParseStatus.AMBIGUOUS`, and the rules then apply the configured,
counted fallback (:class:`games.rpssl.config.Fallback`) instead of guessing.

How it reads a statement:

1. Lower-case it, map move emojis to words (✊ rock, ✋ paper, ✌ scissors, 🖖 Spock, 🦎 lizard) and
   split it into clauses at punctuation and at clause words (``but``, ``so``, ``because``, ``then`` ...).
2. Find move *mentions* (:data:`MOVE_WORDS`: plurals, ``scissor``, ``stone``, ``Spock's`` ...) and drop
   those that are not the speaker's choice:

   * **negated** — a negation (:data:`NEGATIONS`: ``not``, ``no``, ``never``, ``won't``, ``instead of``,
     ``rather than``, ``anything but`` ...) at most :data:`NEGATION_SCOPE` words earlier in the clause,
     unless it is an idiom that negates nothing (``no doubt``, ``not afraid``, ``can't wait`` ...);
   * **an object** — right after a rule or comparison word (``Spock vaporizes rock``, ``to beat rock``,
     ``Spock over lizard``, ``better than paper``; ``a``/``the``/``your`` in between are skipped);
   * **the opponent's** — the nearest pronoun before it in the clause is ``you``/``your``/``they``
     (``you'll throw rock, so I'll play paper``).

3. Among the rest, a mention after a commitment cue (:data:`CUES`: ``play``, ``go with``, ``pick``,
   ``throwing``, ``my move is`` ...) or before one (``rock it is``, ``paper for me``) is *stated*; the last
   stated mention wins (speakers correct themselves: "rock... no, I'll play paper"). Without one, the
   mentions must all name the same move; a rule's subject (``Paper covers rock.``) counts only when
   nothing else is left. Otherwise the statement is ambiguous.

Before all that, *lists* of moves are taken out (:func:`_without_lists`): a run of move words joined only by
commas, slashes, hyphens, spaces, ``or``, ``and`` or ``nor`` that names three or more moves, or two joined by
anything but a comma ("rock, paper, scissors, Spock or lizard", "Spock or lizard", "rock-paper-scissors").
Listing the options is not choosing one, even after a cue: "I play rock, paper, scissors, Spock or lizard"
is ambiguous, not rock. A comma alone between two moves is no list ("not rock, paper" states paper).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from games.rpssl.rules import Move


class ParseStatus(StrEnum):
    STATED = "stated"  # exactly one move read
    NO_MOVE = "no_move"  # no move mentioned (or every mention was negated / someone else's)
    AMBIGUOUS = "ambiguous"  # several moves, none of them singled out


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


@dataclass(frozen=True)
class Parse:
    """What a statement says: the move (``None`` unless ``status`` is STATED) and the moves left in the
    running after the filters (for the log and for debugging the parser)."""

    move: Move | None
    status: ParseStatus
    candidates: tuple[Move, ...] = ()

    @classmethod
    def stated(cls, move: Move) -> Parse:
        return cls(move, ParseStatus.STATED, (move,))


MOVE_WORDS: dict[str, Move] = {
    **dict.fromkeys(("rock", "rocks", "stone", "stones", "boulder"), Move.ROCK),
    **dict.fromkeys(("paper", "papers"), Move.PAPER),
    **dict.fromkeys(("scissors", "scissor", "shears"), Move.SCISSORS),
    **dict.fromkeys(("spock", "spocks", "vulcan"), Move.SPOCK),
    **dict.fromkeys(("lizard", "lizards"), Move.LIZARD),
}
"""Word (lower case, possessive ``'s`` removed) -> move."""

EMOJIS: dict[str, str] = {
    "✊": " rock ", "👊": " rock ", "🪨": " rock ", "✋": " paper ", "🖐": " paper ", "📄": " paper ",
    "📃": " paper ", "✌": " scissors ", "✂": " scissors ", "🖖": " spock ", "🦎": " lizard ",
}  # fmt: skip

NEGATIONS = _set(
    "not no never dont don't wont won't cant can't cannot isnt isn't aint ain't without avoid avoiding "
    "except nor neither skip skipping instead_of rather_than anything_but everything_but other_than "
    "away_from no_more"
)
NEGATION_SCOPE = 5
"""A negation covers mentions up to this many words after it in the same clause."""

IDIOMS = _set(
    "no_doubt no_question not_afraid not_scared no_match not_gonna not_sure no_matter dont_worry don't_worry "
    "never_fear cant_wait can't_wait cannot_wait dont_know don't_know dont_care don't_care no_problem "
    "not_bad"
)
"""Negation words whose next word makes them negate nothing (joined with ``_``)."""

RULE_VERBS = _set(
    "beat beats beating beaten cut cuts cutting cover covers covering covered crush crushes crushing crushed "
    "poison poisons poisoning poisoned smash smashes smashing smashed decapitate decapitates decapitating "
    "decapitated eat eats eating ate disprove disproves disproving disproved vaporize vaporizes vaporizing "
    "vaporized vaporise vaporises vaporising counter counters countering countered trump trumps trumping "
    "defeat defeats defeating defeated destroy destroys destroying wrap wraps wrapping"
)
"""A mention right after one is an object (``Spock vaporizes rock``); right before one, a rule's subject."""

OBJECT_WORDS = RULE_VERBS | {"over", "than", "against", "vs", "versus", "to_lose_to", "loses_to", "lose_to"}
SKIPPED = _set("a an the your my his her their its any some poor old little mere puny that this")

I_WORDS = _set("i i'm im i'll i've i'd me my mine myself we we'll we're let's lets")
YOU_WORDS = _set(
    "you you'll you're you've you'd youll youre your yours u ur they they'll they're theyll their opponent "
    "opponent's he she he'll she'll"
)

CUES = _set(
    "play playing plays go going goes went pick picking picks picked choose choosing chose chosen choice "
    "throw throwing throws threw select selecting selected take taking use using show showing call calling "
    "opt opting declare declaring move answer lock locking locked stick sticking bet here's heres "
    "bring bringing deploy deploying summon summoning unleash unleashing sending send is it's its be "
    "favor favour favoring backing back committing commit"
)
"""Words after which a mention is stated (``I'll play rock``, ``my move is lizard``)."""
CUE_SCOPE = 4
AFTER_CUES = ("it_is", "it's", "its", "for_me", "all_the_way", "is_my", "this_time", "final_answer", "again")
"""Words right after a mention that state it (``rock it is``, ``paper for me``, ``lizard again``)."""

_CLAUSE_SPLIT = re.compile(r"[.!?;:,()\[\]\"\n…—–]+|\s-\s|\b(?:but|so|because|since|then|therefore|hence|thus|while)\b")
_WORD = re.compile(r"[a-z0-9_]+(?:'[a-z]+)?")
_BIGRAMS = (
    ("instead of", "instead_of"),
    ("rather than", "rather_than"),
    ("anything but", "anything_but"),
    ("everything but", "everything_but"),
    ("anything except", "anything_but"),
    ("other than", "other_than"),
    ("away from", "away_from"),
    ("no more", "no_more"),
    ("lose to", "lose_to"),
    ("loses to", "loses_to"),
    ("losing to", "lose_to"),
    ("it is", "it_is"),
    ("for me", "for_me"),
    ("all the way", "all_the_way"),
    ("is my", "is_my"),
    ("this time", "this_time"),
    ("final answer", "final_answer"),
)


@dataclass(frozen=True)
class _Mention:
    move: Move
    stated: bool  # after or before a commitment cue
    subject: bool  # a rule's subject ("paper covers ...")


def _normalize(text: str) -> str:
    text = text.lower().replace("\ufe0f", "").replace("’", "'").replace("‘", "'").replace("`", "'")
    for emoji, word in EMOJIS.items():
        text = text.replace(emoji, word)
    for phrase, token in _BIGRAMS:
        text = re.sub(rf"\b{phrase}\b", token, text)
    return text


_MOVE_WORD = "(?:" + "|".join(sorted(MOVE_WORDS, key=len, reverse=True)) + ")(?:'s)?"
_JOINT = r"(?:\s*[,/-]\s*|\s+)(?:(?:or|and|nor)\s+)?|\s+(?:or|and|nor)\s+"
_RUN = re.compile(rf"\b{_MOVE_WORD}(?:(?:{_JOINT}){_MOVE_WORD})+\b")
LISTED = " listed "
"""What a list of moves is replaced with: a word that is neither a move, a cue nor a negation."""


def _without_lists(text: str) -> tuple[str, tuple[Move, ...]]:
    """``text`` with every list of moves replaced by :data:`LISTED`, and the moves the lists named."""
    listed: list[Move] = []

    def replace(match: re.Match[str]) -> str:
        run = match.group(0)
        moves = dict.fromkeys(MOVE_WORDS[w.removesuffix("'s")] for w in re.findall(_MOVE_WORD, run))
        joints = re.sub(_MOVE_WORD, " ", run)
        comma_only = "," in joints and not joints.replace(",", "").strip()
        if len(moves) >= 3 or (len(moves) == 2 and not comma_only):
            listed.extend(moves)
            return LISTED
        return run

    return _RUN.sub(replace, text), tuple(listed)


def _words(clause: str) -> list[str]:
    words = []
    for w in _WORD.findall(clause):
        if w.endswith("'s") and w[:-2] in MOVE_WORDS:  # "Spock's" -> "spock"
            w = w[:-2]
        words.append(w)
    return words


def _negated(words: list[str], i: int) -> bool:
    for j in range(max(0, i - NEGATION_SCOPE), i):
        w = words[j]
        if w in NEGATIONS:
            idiom = f"{w}_{words[j + 1]}" if j + 1 < len(words) else ""
            if idiom not in IDIOMS:
                return True
    return False


def _before(words: list[str], i: int) -> str:
    """The word before position ``i``, skipping articles and possessives."""
    j = i - 1
    while j >= 0 and words[j] in SKIPPED:
        j -= 1
    return words[j] if j >= 0 else ""


def _opponents(words: list[str], i: int) -> bool:
    """The nearest pronoun before ``i`` in the clause refers to the opponent."""
    for j in range(i - 1, -1, -1):
        if words[j] in I_WORDS:
            return False
        if words[j] in YOU_WORDS:
            return True
    return False


def _mentions(clause: str) -> list[_Mention]:
    words = _words(clause)
    found = []
    for i, w in enumerate(words):
        move = MOVE_WORDS.get(w)
        if move is None or _negated(words, i) or _before(words, i) in OBJECT_WORDS or _opponents(words, i):
            continue
        cue_before = any(words[j] in CUES for j in range(max(0, i - CUE_SCOPE), i))
        after = words[i + 1] if i + 1 < len(words) else ""
        subject = after in RULE_VERBS
        found.append(_Mention(move, cue_before or after in AFTER_CUES, subject))
    return found


def parse_move(text: str) -> Parse:
    """The move ``text`` states, or why there is none (see the module docstring for the rules)."""
    text, listed = _without_lists(_normalize(text))
    mentions = [m for clause in _CLAUSE_SPLIT.split(text) if clause for m in _mentions(clause)]
    candidates = tuple(dict.fromkeys((*listed, *(m.move for m in mentions))))
    stated = [m for m in mentions if m.stated and not m.subject]
    if stated:
        return Parse(stated[-1].move, ParseStatus.STATED, candidates)
    plain = {m.move for m in mentions if not m.subject} or {m.move for m in mentions}
    if len(plain) == 1:
        return Parse(plain.pop(), ParseStatus.STATED, candidates)
    return Parse(None, ParseStatus.AMBIGUOUS if plain or listed else ParseStatus.NO_MOVE, candidates)
