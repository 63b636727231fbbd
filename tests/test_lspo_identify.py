"""The "who is a wolf?" probe: asked privately before each vote and answered by likelihood among the vote's
options (never abstain), it leaves the vote unchanged, is logged for nobody, reaches no observation, and
``identification`` scores it per role of the asker against the deal (LSPO's per-role identification)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agents.llm.agent import IdentifyQuestion, LLMAgent
from agents.llm.backend import Prompt
from agents.llm.scripted import ScriptedBackend
from arena.records import MatchRecord, Records
from games.base import Action, Event
from games.werewolf import WerewolfConfig, WerewolfSession
from games.werewolf.rules import Phase
from solvers.lspo.identify import identification

DEAL = ("werewolf", "werewolf", "seer", "doctor", "villager", "villager", "villager")
ASK = IdentifyQuestion("Which player do you think is a werewolf?", "day_vote", ("abstain",))


def prefers(name: str):
    """A scorer that likes ``name`` as a probe answer and ``abstain`` as a vote."""

    def score(p: Prompt, continuation: str) -> float:
        return 1.0 if continuation in (json.dumps({"answer": name}), json.dumps({"action": "abstain"})) else 0.0

    return score


def vote_session() -> WerewolfSession:
    session = WerewolfSession(WerewolfConfig(), 0, roles=DEAL)
    while session.state.phase is not Phase.DAY_VOTE:
        for player in session.to_act():
            obs = session.observe(player)
            session.step(player, Action(obs.legal[-1] if obs.legal else f"I am {player}."))
    return session


async def test_the_probe_answers_among_the_options_and_leaves_the_vote_alone():
    session = vote_session()
    player = session.to_act()[-1]
    obs = session.observe(player)
    target = next(o for o in obs.legal if o != "abstain")
    asking = LLMAgent("llm", ScriptedBackend(scorer=prefers(target)), np.random.default_rng(0), identify=ASK)
    plain = LLMAgent("llm", ScriptedBackend(scorer=prefers(target)), np.random.default_rng(0))
    move, same = await asking.act(obs), await plain.act(obs)
    assert move.meta["identify"] == {"answer": target, "options": [o for o in obs.legal if o != "abstain"]}
    assert (move.text, move.reasoning) == (same.text, same.reasoning) == ("abstain", move.reasoning)
    assert asking.stats()["identify_questions"] == 1 and "identify" not in same.meta


async def test_the_probe_is_logged_for_nobody_and_seen_by_no_one():
    session = vote_session()
    voters = session.to_act()
    bots = {p: LLMAgent("llm", ScriptedBackend(scorer=prefers(voters[0])), np.random.default_rng(i), identify=ASK)
            for i, p in enumerate(voters)}  # fmt: skip
    for player in voters:
        session.step(player, await bots[player].act(session.observe(player)))
    probes = [e for e in session.events if e.kind == "identify"]
    assert [e.data["player"] for e in probes] == list(voters)
    assert all(e.visible_to == frozenset() for e in probes)
    for player in session.players:
        seen = session.observe(player)
        assert "options" not in json.dumps(seen.data) and "asked" not in seen.text
        assert not any(e.kind == "identify" for e in session.visible_events(player))


def test_identification_per_role_against_the_deal(tmp_path):
    roles = {"player_0": "werewolf", "player_1": "seer", "player_2": "villager", "player_3": "villager"}
    options = ["player_0", "player_2", "player_3"]
    probes = [  # (asker, answer): the seer finds the wolf twice of three, the villager once of two
        ("player_1", "player_0"), ("player_1", "player_0"), ("player_1", "player_2"),
        ("player_2", "player_0"), ("player_2", "player_3"), ("player_3", "player_0"),
    ]  # fmt: skip
    records = Records(tmp_path / "records.sqlite")
    seats = {"player_0": "other", "player_1": "llm", "player_2": "llm", "player_3": "other"}
    events = [
        Event("identify", {"player": p, "day": 1, "answer": a, "options": options}, frozenset()) for p, a in probes
    ]
    records.save_match(MatchRecord("m0", 0, 0, "werewolf", seats, outcome={"roles": roles}), events)
    records.close()
    figures = identification([tmp_path], "llm")["identification"]
    assert set(figures) == {"seer", "villager"}  # player_3's probe is another agent's
    assert (figures["seer"]["questions"], figures["seer"]["correct"]) == (3, 2)
    assert figures["villager"]["accuracy"] == pytest.approx(0.5)
    assert figures["seer"]["chance"] == pytest.approx(1 / 3)
    low, high = figures["seer"]["ci"]
    assert low < 2 / 3 < high
    assert identification([tmp_path], "nobody") == {}
