"""LLMAgent on Werewolf with a ScriptedBackend: the JSON reply becomes the move; one retry shows the
model its error; a second bad reply gives a counted fallback (likelihood, else random legal; prose or
a neutral line for speech); private reasoning reaches nobody; ``propose`` asks for strategically
different candidates; likelihood mode never generates for discrete moves; a seed replays a match."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from pydantic import ValidationError

from agents.llm.agent import NEUTRAL_LINE, ChoiceMode, LLMAgent
from agents.llm.backend import BackendError, Prompt, Sampling
from agents.llm.config import ScriptedBackendConfig, shared_backend
from agents.llm.scripted import ScriptedBackend
from agents.registry import make_agent
from arena.runner import play_match
from arena.schedule import MatchSpec
from games import GAMES
from games.base import Action, Observation
from games.werewolf import WerewolfConfig, WerewolfSession
from games.werewolf.rules import Phase

DEAL = ("werewolf", "werewolf", "seer", "doctor", "villager", "villager", "villager")


def session_at(phase: Phase, seed: int = 0) -> WerewolfSession:
    """A 7-player game (wolves 0 and 1, seer 2, doctor 3) moved forward to ``phase``."""
    session = WerewolfSession(WerewolfConfig(), seed, roles=DEAL)
    while session.state.phase is not phase:
        for player in session.to_act():
            obs = session.observe(player)
            session.step(player, Action(obs.legal[-1] if obs.legal else f"I am {player}."))
    return session


def first_obs(phase: Phase) -> Observation:
    session = session_at(phase)
    return session.observe(session.to_act()[0])


def agent(backend: ScriptedBackend, mode: ChoiceMode = ChoiceMode.JSON, seed: int = 0, **kwargs) -> LLMAgent:
    return LLMAgent("llm", backend, np.random.default_rng(seed), choice_mode=mode, **kwargs)


def action(value: str, reasoning: str = "thinking") -> str:
    return json.dumps({"reasoning": reasoning, "action": value})


def statement(text: str, reasoning: str = "thinking") -> str:
    return json.dumps({"reasoning": reasoning, "statement": text})


def user_text(p: Prompt) -> str:
    return "\n".join(m.content for m in p if m.role == "user")


# ---- JSON mode ---------------------------------------------------------------------------------
@pytest.mark.parametrize("format_in", ["system", "prompt"])
async def test_a_valid_reply_is_the_move(format_in):
    obs = first_obs(Phase.NIGHT_WOLF_PROPOSE)
    backend = ScriptedBackend([action("player_4", "player_4 talks too much")])
    bot = agent(backend, format_in=format_in)
    move = await bot.act(obs)
    assert move.text == "player_4" and move.reasoning == "player_4 talks too much"
    assert bot.stats() == {"decisions": 1, "choice_decisions": 1}
    ((system, user),) = backend.prompts
    assert system.role == "system" and "Werewolf" in system.content
    assert f"You are {obs.player}." in user.content  # who the player is: in the observation, not the shared system text
    assert user.content.startswith(obs.text)
    assert "Legal choices: player_2, player_3, player_4, player_5, player_6." in obs.text
    if format_in == "system":  # both formats once in the system text; the prompt ends with the observation
        assert user.content == obs.text and '"action": "<exactly one of the legal choices>"' in system.content
        assert '"statement"' in system.content
    else:
        assert "exactly one of: player_2, player_3, player_4, player_5, player_6" in user.content
        assert '"statement"' not in user.content + system.content


async def test_an_invalid_reply_is_retried_with_the_error_shown():
    obs = first_obs(Phase.NIGHT_WOLF_PROPOSE)
    bad = action("player_1")  # the wolf's own teammate: not a legal target
    backend = ScriptedBackend([bad, action("player_3")])
    bot = agent(backend)
    assert (await bot.act(obs)).text == "player_3"
    assert bot.stats() == {"decisions": 1, "choice_decisions": 1, "parse_failures": 1, "retries": 1}
    first, retry = backend.prompts
    assert retry[: len(first)] == first
    assistant, correction = retry[len(first) :]
    assert assistant.role == "assistant" and assistant.content == bad
    assert correction.role == "user"
    assert "That reply was invalid: player_1 is not a legal choice; legal choices: player_2" in correction.content


async def test_a_long_bad_reply_is_shortened_in_the_retry_prompt():
    obs = first_obs(Phase.NIGHT_WOLF_PROPOSE)
    backend = ScriptedBackend(["blah " * 2000, action("player_3")])
    await agent(backend).act(obs)
    assert len(backend.prompts[1][-2].content) <= 600


async def test_two_invalid_replies_fall_back_to_the_most_likely_legal_move():
    obs = first_obs(Phase.NIGHT_WOLF_PROPOSE)

    def scorer(p: Prompt, continuation: str) -> float:
        return 0.0 if json.loads(continuation)["action"] == "player_5" else -10.0

    backend = ScriptedBackend(["I pick the quiet one", '{"action": "player_99"}'], scorer=scorer)
    bot = agent(backend)
    move = await bot.act(obs)
    assert move.text == "player_5" and move.meta == {"fallback": "likelihood"}
    assert backend.calls == 2
    stats = bot.stats()
    assert stats["fallbacks"] == stats["choice_fallbacks"] == 1
    assert stats["parse_failures"] == stats["retries"] == 1


@pytest.mark.parametrize("error", [BackendError("no logprobs"), NotImplementedError()])
async def test_without_scores_the_fallback_is_a_random_legal_move(error):
    obs = first_obs(Phase.NIGHT_WOLF_PROPOSE)

    def scorer(p: Prompt, continuation: str) -> float:
        raise error

    picks = []
    for seed in range(20):
        move = await agent(ScriptedBackend(["nope"], scorer=scorer), seed=seed).act(obs)
        assert move.meta == {"fallback": "random"} and move.text in obs.legal
        picks.append(move.text)
    assert len(set(picks)) > 2  # random over the legal moves, not always the first
    again = [(await agent(ScriptedBackend(["nope"], scorer=scorer), seed=s).act(obs)).text for s in range(20)]
    assert again == picks  # from the agent's seeded Generator


async def test_stats_give_the_fallback_rate():
    obs = first_obs(Phase.NIGHT_WOLF_PROPOSE)
    replies = [action("player_2"), "x", "y", action("player_3"), "bad", action("player_4")]
    bot = agent(ScriptedBackend(replies))
    moves = [(await bot.act(obs)).text for _ in range(4)]
    stats = bot.stats()
    assert stats["decisions"] == 4 and stats["fallbacks"] == 1
    assert stats["fallbacks"] / stats["decisions"] == 0.25
    assert moves[0] == "player_2" and moves[2:] == ["player_3", "player_4"]


async def test_a_backend_error_is_not_silently_replaced_by_a_move():
    """A failed LLM call ends the match as an error (runner), never as a silent random move."""
    obs = first_obs(Phase.NIGHT_WOLF_PROPOSE)
    with pytest.raises(BackendError):
        await agent(ScriptedBackend([action("player_2")], fail_on=[0])).act(obs)
    with pytest.raises(BackendError):
        await agent(ScriptedBackend(["bad", "bad"], fail_on=[1])).act(obs)


# ---- speech ------------------------------------------------------------------------------------
async def test_speech_reply_is_the_statement():
    obs = first_obs(Phase.DAY_DISCUSSION)
    assert obs.legal is None
    reply = statement("I saw nothing strange.", "keep quiet")
    backend = ScriptedBackend([reply])
    move = await agent(backend, max_statement_chars=100).act(obs)
    assert (move.text, move.reasoning) == ("I saw nothing strange.", "keep quiet")
    assert reply.endswith(move.meta["completion"])  # the model's own words, kept for analysis and DPO
    assert '"statement"' in backend.prompts[0][0].content  # the format: in the system text (format_in="system")


async def test_statement_opening_is_prefilled_and_kept_out_of_the_completion():
    seen: list[str] = []

    class Recording(ScriptedBackend):
        async def generate(self, prompt, sampling, n=1, prefill=""):
            seen.append(prefill)
            return [prefill + ' rock, final answer.", "reasoning": "lead with rock"}']

    obs = first_obs(Phase.DAY_DISCUSSION)
    move = await agent(Recording(), reason_first=False, statement_opening="I play").act(obs)
    assert seen == ['{"statement": "I play']
    assert (move.text, move.reasoning) == ("I play rock, final answer.", "lead with rock")
    assert move.meta["completion"] == ' rock, final answer.", "reasoning": "lead with rock"}'
    with pytest.raises(ValueError, match="statement_opening"):
        agent(ScriptedBackend(), reason_first=True, statement_opening="I play")


@pytest.mark.parametrize(
    ("replies", "said", "fallback"),
    [
        (["I think player_4 is a werewolf.", "Vote player_4!"], "Vote player_4!", "prose"),
        (["{ Vote player_4 }", "{ {Vote} player_4 }"], "Vote player_4", "prose"),
        (["", "   "], NEUTRAL_LINE, "neutral"),
        (["{}", "{}"], NEUTRAL_LINE, "neutral"),
    ],
    ids=["prose", "prose-in-braces", "empty", "empty-object"],
)
async def test_speech_fallback(replies, said, fallback):
    obs = first_obs(Phase.DAY_DISCUSSION)
    bot = agent(ScriptedBackend(replies))
    move = await bot.act(obs)
    assert move.text == said and move.meta["fallback"] == fallback
    assert bot.stats()["speech_fallbacks"] == bot.stats()["fallbacks"] == 1


async def test_speech_fallback_does_not_publish_the_reasoning():
    obs = first_obs(Phase.DAY_DISCUSSION)  # player_0, a werewolf
    slip = action("player_4", reasoning="I am a werewolf with player_1")  # "action" where "statement" was asked
    move = await agent(ScriptedBackend([slip, slip])).act(obs)
    assert move.meta.get("fallback") is not None
    assert "werewolf with player_1" not in move.text


async def test_statements_are_capped():
    obs = first_obs(Phase.DAY_DISCUSSION)
    move = await agent(ScriptedBackend([statement("word " * 500)]), max_statement_chars=40).act(obs)
    assert len(move.text) <= 40


# ---- private reasoning -------------------------------------------------------------------------
async def test_reasoning_is_logged_for_nobody_and_seen_by_no_one():
    session = session_at(Phase.NIGHT_WOLF_PROPOSE)
    secrets = []

    def responder(p: Prompt, s: Sampling, i: int) -> str:
        secret = f"SECRET-{len(secrets)}-{s.seed}"
        secrets.append(secret)
        legal = re.search(r"\nLegal choices: (.+)\.\n", user_text(p))
        return action(legal.group(1).split(", ")[0], secret) if legal else statement("Hello all.", secret)

    bots = {p: agent(ScriptedBackend(responder), seed=i) for i, p in enumerate(session.players)}
    for _ in range(30):
        if session.is_over():
            break
        for player in session.to_act():
            obs = session.observe(player)
            assert not any(secret in obs.text + json.dumps(obs.data) for secret in secrets)
            session.step(player, await bots[player].act(obs))
    logged = [e for e in session.events if e.kind == "reasoning"]
    assert any(e.kind == "statement" for e in session.events) and len(logged) > 10
    assert [e.data["text"] for e in logged] == secrets
    assert all(e.visible_to == frozenset() for e in logged)
    for player in session.players:
        seen = session.observe(player)
        assert not any(secret in seen.text + json.dumps(seen.data) for secret in secrets)


# ---- propose -----------------------------------------------------------------------------------
async def test_propose_asks_for_strategically_different_statements():
    obs = first_obs(Phase.DAY_DISCUSSION)
    lines = ["I am the seer.", "Let us vote for player_4.", "I have no information yet."]
    backend = ScriptedBackend([statement(t) for t in lines])
    candidates = await agent(backend).propose(obs, 3)
    assert [c.text for c in candidates] == lines
    first, second, third = (user_text(p) for p in backend.prompts)
    assert "already considered" not in first
    assert "already considered these statements:\n1. I am the seer.\nWrite a statement with a strategically" in second
    assert "1. I am the seer.\n2. Let us vote for player_4.\nWrite a statement with a strategically" in third


async def test_propose_for_a_discrete_move_gives_n_legal_moves():
    obs = first_obs(Phase.NIGHT_WOLF_PROPOSE)
    candidates = await agent(ScriptedBackend([action("player_2"), action("player_6")])).propose(obs, 3)
    assert [c.text for c in candidates] == ["player_2", "player_6", "player_2"]


# ---- likelihood mode ---------------------------------------------------------------------------
async def test_likelihood_mode_scores_and_never_generates_for_discrete_moves():
    def scorer(p: Prompt, continuation: str) -> float:
        return {"player_3": -1.0, "player_6": -0.5}.get(json.loads(continuation)["action"], -9.0)

    backend = ScriptedBackend(["should never be asked"], scorer=scorer)
    bot = agent(backend, ChoiceMode.LIKELIHOOD)
    for phase in (Phase.NIGHT_WOLF_PROPOSE, Phase.DAY_VOTE):
        obs = first_obs(phase)
        move = await bot.act(obs)
        assert move.text == ("player_6" if "player_6" in obs.legal else "player_3")
        assert move.reasoning.startswith("log-likelihoods: player_6=-0.5")
    assert backend.calls == 0
    assert bot.stats() == {"decisions": 2, "choice_decisions": 2}


async def test_likelihood_mode_still_generates_speech():
    backend = ScriptedBackend([statement("Good morning.")])
    move = await agent(backend, ChoiceMode.LIKELIHOOD).act(first_obs(Phase.DAY_DISCUSSION))
    assert move.text == "Good morning." and backend.calls == 1


async def test_likelihood_mode_does_not_hide_a_scoring_failure():
    def scorer(p: Prompt, continuation: str) -> float:
        raise BackendError("server down")

    with pytest.raises(BackendError, match="server down"):
        await agent(ScriptedBackend(scorer=scorer), ChoiceMode.LIKELIHOOD).act(first_obs(Phase.DAY_VOTE))


# ---- determinism -------------------------------------------------------------------------------
def seeded_responder(p: Prompt, s: Sampling, i: int) -> str:
    """A reply that depends on the prompt and the sampling seed only; some replies are unusable."""
    legal = re.search(r"exactly one of: ([^\"]+)\"", user_text(p))
    if s.seed % 5 == 0:
        return "hmm, let me think"
    if legal:
        options = legal.group(1).split(", ")
        return action(options[s.seed % len(options)], f"r{s.seed}")
    return statement(f"My lucky number is {s.seed % 1000}.", f"r{s.seed}")


async def play(seed: int, agent_seed: int, mode: ChoiceMode, n_players: int = 7) -> list[dict]:
    config = WerewolfConfig(n_players=n_players)
    seats = {f"player_{i}": "llm" for i in range(n_players)}
    spec = MatchSpec(0, seed, f"m{seed}", seats, None)
    backend = ScriptedBackend(seeded_responder)
    bots = {p: agent(backend, mode, seed=agent_seed * 100 + i) for i, p in enumerate(seats)}
    record, events = await play_match(spec, GAMES["werewolf"], config, bots)
    assert record.status == "done", record.error
    return [e.to_json() for e in events]


@pytest.mark.parametrize("mode", list(ChoiceMode))
async def test_same_seeds_replay_the_same_transcript(mode):
    first = await play(3, 1, mode)
    assert await play(3, 1, mode) == first
    assert await play(3, 2, mode) != first  # other agent seeds: other replies


# ---- the "llm" agent kind ----------------------------------------------------------------------
def test_llm_kind_builds_an_agent_on_a_shared_backend():
    params = {"backend": {"type": "scripted", "replies": [action("player_2")]}, "choice_mode": "json"}
    a = make_agent("llm", "bot", np.random.default_rng(0), params)
    b = make_agent("llm", "bot", np.random.default_rng(1), params)
    assert isinstance(a, LLMAgent) and a.choice_mode is ChoiceMode.JSON
    assert (
        a.backend is b.backend is shared_backend(ScriptedBackendConfig(type="scripted", replies=(action("player_2"),)))
    )
    with pytest.raises(ValidationError, match="temperature"):
        make_agent("llm", "bot", np.random.default_rng(0), {**params, "temperature": 5})
    with pytest.raises(ValidationError):
        make_agent("llm", "bot", np.random.default_rng(0), {"backend": {"type": "scripted", "fail_on": [1]}})
    with pytest.raises(ValidationError, match="statement_opening 'I play' needs reason_first: false"):
        make_agent(
            "llm", "bot", np.random.default_rng(0), {**params, "statement_opening": "I play", "reason_first": True}
        )
