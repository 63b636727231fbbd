"""parse_claims: a known-answer table of free text, template round trips, ids and speaker rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.werewolf.speech import Intent, SpeechPlan, render
from games.werewolf.claims import Claims, parse_claims

PLAYERS = [f"player_{i}" for i in range(13)]  # multi-digit ids: player_1 vs player_12


def _as_sets(c: Claims) -> tuple[str | None, set[str], set[str], dict[str, bool]]:
    return c.role_claim, set(c.accusations), set(c.defenses), dict(c.seer_results)


# (speaker, text, role_claim, accusations, defenses, seer_results)
TABLE = [
    ("player_0", "I think player_12 is lying", None, {"player_12"}, set(), {}),
    ("player_0", "As the Seer I checked player_3: werewolf!", "seer", {"player_3"}, set(), {"player_3": True}),
    ("player_0", "player_1 seems trustworthy, but player_12 is suspicious", None, {"player_12"}, {"player_1"}, {}),
    ("player_0", "I don't think player_4 is a wolf.", None, set(), {"player_4"}, {}),
    (
        "player_0",
        "I'm the seer. Last night I checked player_5 and they came back clean.",
        "seer",
        set(),
        {"player_5"},
        {"player_5": False},
    ),
    ("player_0", "I vote for player_2.", None, {"player_2"}, set(), {}),
    ("player_0", "player_2 said player_6 was a werewolf, but I'm not convinced.", None, set(), set(), {}),
    ("player_3", "I, player_3, am innocent; player_4 is a wolf", None, {"player_4"}, set(), {}),
    ("player_0", "I'm not the seer, but I trust player_1.", None, set(), {"player_1"}, {}),
    ("player_0", "I'm just a simple villager.", "villager", set(), set(), {}),
    ("player_0", "Don't trust player_10, he's been very quiet.", None, {"player_10"}, set(), {}),
    ("player_0", "Let's vote out player_1 and player_11", None, {"player_1", "player_11"}, set(), {}),
    ("player_0", "player_7 and player_8 are both wolves", None, {"player_7", "player_8"}, set(), {}),
    ("player_0", "player_4 was killed last night by the wolves", None, set(), set(), {}),
    ("player_0", "I checked player_9. He is a werewolf.", "seer", {"player_9"}, set(), {"player_9": True}),
    ("player_0", "Player 12 is a wolf, and PLAYER_1 is clean.", None, {"player_12"}, {"player_1"}, {}),
    ("player_0", "player_2 voted for player_5, I trust player_6.", None, set(), {"player_6"}, {}),
    ("player_0", "If I were the seer I would check player_4.", None, set(), set(), {}),
    (
        "player_0",
        "Seer here: player_4 is evil, player_5 is a villager.",
        "seer",
        {"player_4"},
        {"player_5"},
        {"player_4": True, "player_5": False},
    ),
    ("player_0", "I believe player_2 is the real seer, so let's vote player_5.", None, {"player_5"}, {"player_2"}, {}),
    ("player_0", "player_2 claims player_5 is a wolf and I agree, vote player_5.", None, {"player_5"}, set(), {}),
    ("player_0", "I agree with player_2 and vote player_5.", None, {"player_5"}, {"player_2"}, {}),
    ("player_0", "There is no doubt player_6 is a wolf.", None, {"player_6"}, set(), {}),
    ("player_0", "My vision revealed that player_6 is a werewolf.", "seer", {"player_6"}, set(), {"player_6": True}),
    ("player_0", "I am not a werewolf, I'm a plain villager.", "villager", set(), set(), {}),
    ("player_0", "Nothing stands out to me yet, let's hear everyone.", None, set(), set(), {}),
    ("player_5", "player_5 is a werewolf? No, player_2 is.", None, set(), set(), {}),
    ("player_0", "I'm suspicious of player_3 and player_4 seems fine.", None, {"player_3"}, {"player_4"}, {}),
    ("player_0", "Why did player_5 vote for player_2?", None, set(), set(), {}),
    # a negation far from the cue does not flip it
    ("player_0", "player_7 accused me without evidence, which is what a wolf would do.", None, {"player_7"}, set(), {}),
    ("player_0", "As a villager, I think we should eliminate player_2 today.", "villager", {"player_2"}, set(), {}),
]


@pytest.mark.parametrize(("speaker", "text", "role", "accused", "defended", "results"), TABLE)
def test_known_answers(speaker, text, role, accused, defended, results):
    assert _as_sets(parse_claims(text, speaker, PLAYERS)) == (role, accused, defended, results)


def test_multi_digit_ids_are_not_confused():
    c = parse_claims("player_1 is innocent but player_12 is a wolf", "player_0", PLAYERS)
    assert (c.accusations, c.defenses) == (("player_12",), ("player_1",))
    # a name outside the game is no mention, and never falls back to a prefix ("player_1")
    c = parse_claims("player_12 is a wolf", "player_0", PLAYERS[:7])
    assert c.accusations == () and c.defenses == ()


def test_results_are_read_only_and_speaker_never_named():
    c = parse_claims("I checked player_3 and player_0: player_3 is a wolf, player_0 is a wolf", "player_0", PLAYERS)
    assert dict(c.seer_results) == {"player_3": True}
    with pytest.raises(TypeError):
        c.seer_results["player_4"] = True  # type: ignore[index]


def _plans(rng: np.random.Generator) -> list[SpeechPlan]:
    a, b, c, d = (str(p) for p in rng.choice(PLAYERS[1:], 4, replace=False))
    return [
        SpeechPlan(Intent.CLAIM_SEER_RESULT, target=a, results={a: True, b: False}),
        SpeechPlan(Intent.CLAIM_SEER_RESULT, target=c, results={b: False}, rivals=(c,)),
        SpeechPlan(Intent.CLAIM_SEER_RESULT, results={b: False}),
        SpeechPlan(Intent.FAKE_CLAIM_SEER, target=c, results={c: True, d: False}, rivals=(c,)),
        SpeechPlan(Intent.HINT_INNOCENT, innocents=(a,)),
        SpeechPlan(Intent.HINT_INNOCENT, innocents=(a, b, c)),
        SpeechPlan(Intent.STAY_VAGUE),
        SpeechPlan(Intent.CALL_FOR_SEER),
        SpeechPlan(Intent.FOLLOW_SEER, seer=a, target=b),
        SpeechPlan(Intent.FOLLOW_SEER, seer=a),
        SpeechPlan(Intent.VOUCH_TEAMMATE, seer=a, target=b),
        SpeechPlan(Intent.VOUCH_TEAMMATE, seer=a),
        SpeechPlan(Intent.ACCUSE_QUIET, target=a),
        SpeechPlan(Intent.BANDWAGON, target=a),
        SpeechPlan(Intent.DEFEND_SELF, target=a),
        SpeechPlan(Intent.DEFEND_SELF),
        SpeechPlan(Intent.DEFEND_SELF, target=a, seer=b),
        SpeechPlan(Intent.DEFEND_SELF, seer=b),
        SpeechPlan(Intent.WATCH_QUIET),
    ]


def test_every_template_round_trips():
    """Each rendering parses back to exactly what its plan means (all pools, orders and hedges)."""
    rng = np.random.default_rng(7)
    texts: dict[Intent, set[str]] = {intent: set() for intent in Intent}
    for _ in range(300):
        for plan in _plans(rng):
            text = render(plan, rng)
            texts[plan.intent].add(text)
            assert _as_sets(parse_claims(text, "player_0", PLAYERS)) == _as_sets(plan.claims()), text
    # and the wording really varies: many distinct texts per intent
    assert all(len(seen) > 50 for seen in texts.values()), {i.value: len(s) for i, s in texts.items()}


_FRAGMENTS = [
    "{p} is a wolf",
    "I suspect {p}",
    "{p} is innocent",
    "I checked {p}: werewolf",
    "I trust {p}",
    "vote out {p}",
    "{p} and {q} are lying",
    "I am the seer",
    "I'm not the doctor",
    "{p} said {q} is evil",
    "they are clean",
]


@settings(max_examples=300, deadline=None)
@given(
    speaker=st.sampled_from(PLAYERS),
    parts=st.lists(
        st.tuples(st.sampled_from(_FRAGMENTS), st.sampled_from(PLAYERS), st.sampled_from(PLAYERS)), min_size=1
    ),
    joiner=st.sampled_from([". ", ", ", " and ", "; ", " but "]),
)
def test_speaker_is_never_accused_and_only_players_are_named(speaker, parts, joiner):
    text = joiner.join(frag.format(p=p, q=q) for frag, p, q in parts)
    c = parse_claims(text, speaker, PLAYERS)
    named = set(c.accusations) | set(c.defenses) | set(c.seer_results)
    assert speaker not in named
    assert named <= set(PLAYERS)
    assert not set(c.accusations) & set(c.defenses)
    assert all(c.seer_results[p] == (p in c.accusations) for p in c.seer_results)
