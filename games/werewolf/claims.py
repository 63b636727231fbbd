"""What a Werewolf statement claims: a role, accusations, defenses and seer results.

A rule-based reader (regexes and keyword cues, no model) for ANY utterance: the scripted agents'
templates and free language-model text ("I think player_12 is lying", "As the Seer I checked
player_3: werewolf!"). Scripted listeners use it to follow the table, and the arena's metrics use it
for identification precision (the share of accusations that name real wolves, as in Werewolf Arena).

How a statement is read: it is cut into sentences and clauses; each player mention takes its stance
from the first cue *after* it ("player_3 is lying", "player_3 came back clean") or, failing that,
the last cue *before* it ("I suspect player_3", "vote out player_3"), with negation flipping the
stance ("player_3 is not a wolf", "I don't trust player_3"). Mentions joined by "and" / commas
share a stance; mentions reported from someone else ("player_2 says player_5 is a wolf") carry none;
a clause starting with "they"/"he"/"she" or with a bare verdict ("Werewolf!") continues the last
mention. A definite verdict (werewolf / innocent) is a seer result when the speaker claims the Seer
or the sentence says "I checked" / "my vision". The speaker is never returned in any field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

ACCUSE, DEFEND, NEUTRAL = 1, -1, 0


@dataclass(frozen=True)
class Claims:
    """What one statement asserts; player tuples are in order of first mention."""

    role_claim: str | None  # role the speaker claims ("seer", "doctor", "villager", "werewolf"), or None
    accusations: tuple[str, ...]  # players the speaker says are (or may be) wolves / wants voted out
    defenses: tuple[str, ...]  # players the speaker says are innocent / trusts
    seer_results: Mapping[str, bool] = field(default_factory=dict, hash=False)  # claimed checks: player -> is_wolf


def parse_claims(text: str, speaker: str, players: Sequence[str]) -> Claims:
    """Read ``text`` said by ``speaker``; only names in ``players`` count as player mentions."""
    return _parse(text.replace("\u2019", "'").replace("\u2018", "'"), speaker, tuple(players))


# ---- vocabulary --------------------------------------------------------------------------------
# (regex, stance, verdict). A verdict is a definite werewolf / not-werewolf statement, which is what a
# seer result is made of; the other cues are opinions. At one position the earlier entry wins.
_POST_CUES: tuple[tuple[str, int, bool], ...] = (
    # events, not opinions: "player_4 was killed by the wolves" says nothing about player_4
    (r"\b(?:was|were|got|been|is) (?:killed|eliminated|voted out|attacked|murdered|lynched)\b", NEUTRAL, False),
    (r"\bdied\b|\bdead\b", NEUTRAL, False),
    (r"\bgood (?:liar|actor|at lying)\b", ACCUSE, False),
    (r"\bwere-?wol(?:f|ves)\b|\bwol(?:f|ves)\b|\bevil\b|\bbad (?:guy|guys|team|side)\b", ACCUSE, True),
    (r"\bone of (?:them|the wolves)\b|\bguilty\b|\bon the wol(?:f|ves)'? (?:team|side)\b", ACCUSE, True),
    (r"\binnocent\b|\bclean\b|\bcleared\b|\bvillager\b|\bvillage team\b|\bhuman\b", DEFEND, True),
    (r"\bon (?:our|the village|the good) side\b|\bone of us\b|\bgood (?:guy|person|one|team|side)\b", DEFEND, True),
    (r"\blying\b|\blie[sd]?\b|\bliar\b|\bsuspicious\b|\bsuspect\b|\bsus\b|\bshady\b|\bfishy\b", ACCUSE, False),
    (r"\bsketchy\b|\bdodgy\b|\bdeceiv\w*|\bdeceptive\b|\bfalse\b|\bfake\b|\bfaking\b|\bfraud\b", ACCUSE, False),
    (r"\bimpost[oe]r\b|\bpretend\w*|\buntrustworthy\b|\bdangerous\b|\bmanipulat\w*|\bhiding\b", ACCUSE, False),
    (r"\bquiet\w*|\bsilent\b|\bvague\b|\bevasive\b|\bnervous\b|\bdefensive\b|\bdeflect\w*", ACCUSE, False),
    (r"\boff\b|\bstrange\b|\bweird\b|\bodd\b|\binconsistent\b|\bcontradict\w*", ACCUSE, False),
    (r"\b(?:must|has to|needs to|should) (?:go|be (?:eliminated|voted out|removed))\b", ACCUSE, False),
    (r"\b(?:barely|hardly|hasn't|has not|didn't|did not|never) (?:said|say|spoken|spoke|talked)\b", ACCUSE, False),
    (r"\bsaid (?:nothing|little|very little)\b", ACCUSE, False),
    (r"\btrustworthy\b|\btrusted\b|\bhonest\b|\btruthful\b|\btelling the truth\b|\bgenuine\b|\blegit\b", DEFEND, False),
    (r"\b(?:real|true|actual) seer\b|\bsafe\b|\breliable\b|\bcredible\b|\bsincere\b|\bgood\b", DEFEND, False),
    (r"\bright\b(?! now| away)|\bmakes sense\b|\bfine\b|\bok(?:ay)?\b", DEFEND, False),
)
_PRE_CUES: tuple[tuple[str, int, bool], ...] = (
    (r"\bsuspect\w*|\bsuspicious (?:of|about)|\bvot(?:e|es|ed|ing)\b(?: (?:for|against|out|on))?", ACCUSE, False),
    (r"\bmy vote (?:goes|is) (?:to|on)\b|\beliminat\w*|\blynch\w*|\bexile\b|\bbanish\w*|\bget rid of\b", ACCUSE, False),
    (r"\baccus\w*|\bdistrust\w*|\bkeep an eye on\b|\bwatch(?:ing)?\b|\bpoint(?:ed|ing|s)? (?:at|to)\b", ACCUSE, False),
    (r"\b(?:wary|worried|concerned|skeptical|careful|doubts?) (?:of|about|with)\b|\bthe finger at\b", ACCUSE, False),
    (r"\b(?:go|going|come|coming) after\b|\bblam\w*|\bbad feeling about\b|\bcase against\b", ACCUSE, False),
    (r"\beyes? (?:are |is )?on\b|\blook(?:ing)? (?:hard |closely )?at\b", ACCUSE, False),
    (r"\btrust\w*|\bbelieve\b|\bvouch\w*(?: for)?|\bdefend\w*|\bclear(?:ed|ing)?\b", DEFEND, False),
    (r"\bback(?:ing)?\b(?! to)", DEFEND, False),
    (r"\bsupport\w*|\bside with\b|\bagree with\b|\bprotect\w*|\bspare\b|\bfollow\w*|\blisten to\b", DEFEND, False),
    (r"\b(?:i'm|i am|we're|we are) with\b|\bgood feeling about\b|\b(?:real|true) seer (?:is|was)\b", DEFEND, False),
)
_ROLES = {
    "seer": "seer",
    "prophet": "seer",
    "doctor": "doctor",
    "medic": "doctor",
    "healer": "doctor",
    "villager": "villager",
    "werewolf": "werewolf",
    "were-wolf": "werewolf",
    "wolf": "werewolf",
}
_ROLE = r"(?P<role>seer|prophet|doctor|medic|healer|villager|were-?wolf|wolf)\b(?!'s)"
_FILLER = r"(?:(?:the|a|an|just|only|simply|really|actually|truly|real|true|genuine|simple|plain|humble|"
_FILLER += r"honest|regular|ordinary|your|one|our|not|no|never|in fact)\s+){0,4}"
_ROLE_CLAIMS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(?:i am|i'm|im|i was|i've been)\s+" + _FILLER + _ROLE,
        r"\bmy role is\s+" + _FILLER + _ROLE,
        r"\bi(?:'m| am)? (?:play|playing|claim|claiming|revealing as|speaking as)\s+" + _FILLER + _ROLE,
        r"\bas (?:the|a|an) (?:real |true |actual )?" + _ROLE + r"(?!\s*(?:said|says|claimed|claims|told|suggest"
        r"|pointed|mentioned|revealed|found|showed|reported|warned|noted|stated|put it|did|does|would|will|has|had"
        r"|is|was|player|might|may|could|should))",
        r"(?:^|[.!?:;,]\s*)(?P<role>seer|prophet|doctor|medic|healer|villager) here\b",
    )
)
_HYPOTHETICAL = re.compile(r"\b(?:if|unless|whether|pretend|pretending|suppose|imagine)\s+$", re.IGNORECASE)
_NEGATED = re.compile(r"\b(?:not|no|never)\b|n't\b", re.IGNORECASE)
# the speaker's own night check: "I checked", "my vision"
_CHECK = re.compile(
    r"\bi(?:'ve| have)?\s+(?:just\s+|also\s+|already\s+)?(?:checked|check|inspected|investigated|examined|scanned"
    r"|divined|peeked at|looked into|tested)\b|\bmy\s+(?:\w+\s+)?(?:check|checks|vision|visions|inspection"
    r"|investigation|reading|result|results|findings|power|night action)\b",
    re.IGNORECASE,
)
_NEG = re.compile(r"\bnot\b|n't\b|\bnever\b|\bno\b|\bnobody\b|\bno one\b|\bhardly\b|\bwithout\b|\bcannot\b", re.I)
_NOT_NEGATION = re.compile(r"\bno doubt\b|\bwithout (?:a )?doubt\b|\bnot only\b|\bnot just\b|\bno question\b", re.I)
# "I don't think player_3 is a wolf": the disbelief sits before the mention and flips what follows it
_DISBELIEF = re.compile(
    r"(?:don't|do not|doesn't|does not|didn't|did not|never|can't|cannot|hardly)\s+(?:really\s+|actually\s+)?"
    r"(?:think|believe|feel|buy|suspect|say|see)\b|\bnot (?:sure|convinced)\b|\bdoubt\b|\bno way\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:i|we|let's|let us|my|our|me)\b", re.IGNORECASE)
_THIRD_PERSON = re.compile(r"\b(?:he|she|they|who)\b", re.IGNORECASE)
_REPORTED = re.compile(
    r"\b(?:said|says|say|claimed|claims|claim|thinks|think|believes|accused|accuses|suggested|suggests|stated"
    r"|insisted|told us|argued|mentioned|called)\b(?:\s+that)?[\s,:]*$",
    re.IGNORECASE,
)
_JOINED = re.compile(r"[\s,&]*(?:(?:and|or|as well as|plus|along with)[\s,]*)?", re.IGNORECASE)
# later first/second-person talk starts a new thought, whose cues are not about this mention
_SUBJECT_CHANGE = re.compile(r"(?:,|\band\b|\bbut\b|\bso\b)\s+(?:i|we|you|let's|let us|my|our)\b", re.IGNORECASE)
_CONTINUATION = re.compile(
    r"^\W*(?:and\s+|so\s+|then\s+)?(?:(?:they|he|she)\b|that player\b|this player\b"
    r"|(?=(?:(?:definitely|surely|certainly)\s+)?(?:not\s+|no\s+)?(?:a\s+)?(?:were-?wolf|wolf|innocent|clean|villager"
    r"|evil|guilty)\b))",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSES = re.compile(
    r"\s*[;:]\s*|,\s*so\b|\s*\b(?:but|because|since|although|though|however|whereas|while|yet|otherwise|unless)\b",
    re.IGNORECASE,
)


def _compile(cues: tuple[tuple[str, int, bool], ...]) -> tuple[re.Pattern[str], dict[str, tuple[int, bool]]]:
    """One alternation with a named group per cue, so a single search finds the earliest cue."""
    groups = {f"c{i}": (stance, verdict) for i, (_, stance, verdict) in enumerate(cues)}
    pattern = "|".join(f"(?P<c{i}>{regex})" for i, (regex, _, _) in enumerate(cues))
    return re.compile(pattern, re.IGNORECASE), groups


_POST, _POST_KIND = _compile(_POST_CUES)
_PRE, _PRE_KIND = _compile(_PRE_CUES)


@lru_cache(maxsize=64)
def _mention_pattern(players: tuple[str, ...]) -> re.Pattern[str]:
    # longest names first, and no word character either side: player_1 never matches inside player_12
    names = "|".join(re.escape(p) for p in sorted(players, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:(?P<name>{names})|player[\s_\-#]?(?P<num>\d+))(?!\w)", re.IGNORECASE)


def _mentions(clause: str, players: tuple[str, ...]) -> list[tuple[int, int, str]]:
    lower = {p.lower(): p for p in players}
    found = []
    for m in _mention_pattern(players).finditer(clause):
        name = lower.get(m["name"].lower()) if m["name"] else lower.get(f"player_{int(m['num'])}")
        if name is not None:
            found.append((m.start(), m.end(), name))
    return found


def _negated(span: str) -> bool:
    """A negation close before a cue: after the last comma and within its last five words, so
    "accused me without evidence, which is what a wolf does" keeps "wolf" unnegated."""
    local = re.split(r"[,;:]", _NOT_NEGATION.sub(" ", span))[-1]
    return bool(_NEG.search(" ".join(local.split()[-5:])))


def _after_stance(after: str) -> tuple[int | None, bool]:
    """Stance from the first cue after a mention ("... is lying"); None when there is none."""
    m = _POST.search(after)
    if m is None or m.lastgroup is None:
        return None, False
    stance, verdict = _POST_KIND[m.lastgroup]
    if stance == NEUTRAL:
        return None, False
    return (-stance if _negated(after[: m.start()]) else stance), verdict


def _before_stance(before: str, prefix: str, follows_mention: bool) -> int | None:
    """Stance from the last cue before a mention ("I suspect ..."), if the speaker is its subject.

    ``before`` is the text since the previous mention (or the clause start), ``prefix`` the whole
    clause up to this mention.
    """
    matches = list(_PRE.finditer(before))
    if not matches or matches[-1].lastgroup is None:
        return None
    m = matches[-1]
    lead = before[: m.start()]
    # someone else's act, not the speaker's view: "player_3 voted for player_5" (the previous mention
    # is the verb's subject), "player_3 is odd and accuses player_5", "they accused player_5"
    if follows_mention:
        if not lead.strip() or not _FIRST_PERSON.search(prefix[: len(prefix) - len(before) + m.start()]):
            return None
    elif _THIRD_PERSON.search(lead) and not _FIRST_PERSON.search(lead):
        return None
    stance = _PRE_KIND[m.lastgroup][0]
    return -stance if _negated(lead) else stance


def _clause_stances(clause: str, mentions: list[tuple[int, int, str]]) -> list[tuple[int | None, bool]]:
    """(stance, is_verdict) for each mention of one clause."""
    out: list[tuple[int | None, bool]] = []
    reported = [False] * len(mentions)
    for i, (start, end, _) in enumerate(mentions):
        before = clause[mentions[i - 1][1] if i else 0 : start]
        after = clause[end : mentions[i + 1][0] if i + 1 < len(mentions) else len(clause)]
        chained = reported[i - 1] and _JOINED.fullmatch(before)  # "player_2 says player_5 and player_6 are ..."
        if i and (chained or (_REPORTED.search(before) and not _FIRST_PERSON.search(before))):
            reported[i] = True
            out.append((None, False))
            continue
        cut = _SUBJECT_CHANGE.search(after)
        stance, verdict = _after_stance(after[: cut.start()] if cut else after)
        if stance is not None and _DISBELIEF.search(_NOT_NEGATION.sub(" ", before)):
            stance = -stance
        if stance is None:
            stance, verdict = _before_stance(before, clause[:start], follows_mention=i > 0), False
        out.append((stance, verdict))
    # "player_3 and player_5 are wolves", "I suspect player_3 and player_5": joined mentions share a stance
    for i in reversed(range(len(mentions) - 1)):
        gap = clause[mentions[i][1] : mentions[i + 1][0]]
        if out[i][0] is None and not reported[i] and _JOINED.fullmatch(gap):
            out[i] = out[i + 1]
    for i in range(1, len(mentions)):
        gap = clause[mentions[i - 1][1] : mentions[i][0]]
        if out[i][0] is None and not reported[i] and _JOINED.fullmatch(gap):
            out[i] = out[i - 1]
    return out


def _role_claim(text: str) -> str | None:
    """The first role the speaker claims in the first person, unless negated or hypothetical."""
    hits = []
    for pattern in _ROLE_CLAIMS:
        for m in pattern.finditer(text):
            if _NEGATED.search(m.group(0)) or _HYPOTHETICAL.search(text[max(0, m.start() - 12) : m.start()]):
                continue
            hits.append((m.start("role"), _ROLES[m["role"].lower()]))
    return min(hits)[1] if hits else None


@lru_cache(maxsize=1 << 16)
def _parse(text: str, speaker: str, players: tuple[str, ...]) -> Claims:
    role = _role_claim(text)
    stances: dict[str, int] = {}
    results: dict[str, bool] = {}
    order: dict[str, int] = {}
    last: tuple[str, bool] | None = None  # last mention of the previous clause, and its check context

    def record(name: str, stance: int | None, verdict: bool, checking: bool) -> None:
        order.setdefault(name, len(order))
        if stance is None or name == speaker:
            return
        stances[name] = stance  # a later stance on the same player overrides an earlier one
        if verdict and checking:
            results[name] = stance == ACCUSE
        elif results.get(name, stance == ACCUSE) != (stance == ACCUSE):
            del results[name]  # a later, contrary opinion withdraws the earlier result

    for sentence in _SENTENCES.split(text):
        checking = role == "seer" or bool(_CHECK.search(sentence))
        for clause in _CLAUSES.split(sentence):
            if not clause or not clause.strip():
                continue
            mentions = _mentions(clause, players)
            if not mentions:
                cont = _CONTINUATION.match(clause)
                if cont and last is not None:
                    record(last[0], *_after_stance(clause[cont.end() :]), last[1] or checking)
                last = None
                continue
            for (_, _, name), (stance, verdict) in zip(mentions, _clause_stances(clause, mentions), strict=True):
                record(name, stance, verdict, checking)
            last = (mentions[-1][2], checking)
    if results and role is None and _CHECK.search(text):
        role = "seer"  # "I checked player_3: werewolf!" is a Seer claim even without the word
    ranked = sorted(stances, key=order.__getitem__)
    return Claims(
        role_claim=role,
        accusations=tuple(p for p in ranked if stances[p] == ACCUSE),
        defenses=tuple(p for p in ranked if stances[p] == DEFEND),
        seer_results=MappingProxyType(results),
    )
