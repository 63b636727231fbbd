"""The Werewolf PettingZoo env: options, fallbacks and their counts, dead agents, rewards, rendering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pettingzoo
import pydantic
import pytest
from gymnasium.utils.env_checker import data_equivalence

from games.werewolf import Phase, Role, TieRule, WerewolfSession
from games.werewolf.env import INTENT_SENTENCES, MAX_SPEECH, ROLES, WerewolfEnv
from games.werewolf.rules import player_index
from tests.test_conformance import hidden_events_canaried

ENV_ID = "latent_arena/werewolf-v0"
Policy = Callable[[WerewolfEnv, str, dict[str, Any]], Any]


def random_legal(rng: np.random.Generator) -> Policy:
    """Uniformly random legal moves in either action format; plain speech in text mode."""

    def act(env: WerewolfEnv, agent: str, obs: dict[str, Any]) -> Any:
        if env.discrete:
            return int(rng.choice(np.flatnonzero(obs["action_mask"])))
        legal = np.flatnonzero(obs["legal_mask"])
        if legal.size == 0:
            return "I have nothing to add."
        choice = int(rng.choice(legal))
        return "abstain" if choice == env.n else f"player_{choice}"

    return act


def play(env: WerewolfEnv, policy: Policy, seed: int) -> tuple[dict[str, float], dict[str, int]]:
    """Run one game; return each agent's total reward and last fallback count as ``last()`` gave them."""
    env.reset(seed=seed)
    totals = dict.fromkeys(env.possible_agents, 0.0)
    fallbacks = dict.fromkeys(env.possible_agents, 0)
    for agent in env.agent_iter(10_000):
        obs, reward, terminated, truncated, info = env.last()
        totals[agent] += reward
        fallbacks[agent] = info["fallbacks"]
        assert not truncated
        env.step(None if terminated else policy(env, agent, obs))
    assert env.agents == [] and env.session.is_over()
    return totals, fallbacks


def advance_to(env: WerewolfEnv, phase: Phase) -> None:
    """Play random legal moves until ``phase`` is reached and a living agent is selected."""
    act = random_legal(np.random.default_rng(0))
    while env.session.state.phase is not phase or env.terminations[env.agent_selection]:
        obs, _, terminated, _, _ = env.last()
        env.step(None if terminated else act(env, env.agent_selection, obs))


def dead(env: WerewolfEnv) -> set[str]:
    return {a for a in env.possible_agents if not env.session.state.alive[player_index(a)]}


def test_make_with_options_builds_the_four_player_variant() -> None:
    env = pettingzoo.make("aec", ENV_ID, n_players=4, tie_rule="no_elimination", action_format="discrete")
    assert isinstance(env, WerewolfEnv)
    assert env.config.tie_rule is TieRule.NO_ELIMINATION
    assert env.possible_agents == ["player_0", "player_1", "player_2", "player_3"]
    assert env.action_space("player_0").n == 3 * 4 + 5
    assert env.observation_space("player_0")["alive"].n == 4
    _, fallbacks = play(env, random_legal(np.random.default_rng(1)), seed=1)
    assert sorted(env.session.outcome().roles.values()) == ["seer", "villager", "villager", "werewolf"]
    assert set(fallbacks.values()) == {0}


def test_bad_options_are_refused_by_name() -> None:
    with pytest.raises(pydantic.ValidationError, match="n_players"):
        pettingzoo.make("aec", ENV_ID, n_players=2)
    with pytest.raises(ValueError, match="action_format"):
        WerewolfEnv(action_format="json")


def test_seed_matches_the_session_deal_and_fallbacks_leave_the_rules_rng_alone() -> None:
    env = WerewolfEnv()
    env.reset(seed=11)
    assert env.session.state.roles == WerewolfSession(seed=11).state.roles
    assert env.agent_selection == env.session.to_act()[0]
    actor, rules_rng = env.agent_selection, env.session.state.rng.bit_generator.state
    env.step("not a name")  # a night fallback draws a random target from the env's own generator
    assert env.infos[actor]["fallbacks"] == 1
    assert env.session.state.rng.bit_generator.state == rules_rng


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("fmt", ["text", "discrete"])
def test_final_rewards_go_to_agents_still_present(fmt: str, seed: int) -> None:
    env = WerewolfEnv(action_format=fmt)
    policy = random_legal(np.random.default_rng(seed))
    dead_before_last_move: set[str] = set()

    def watch(env: WerewolfEnv, agent: str, obs: dict[str, Any]) -> Any:
        dead_before_last_move.clear()
        dead_before_last_move.update(dead(env))
        return policy(env, agent, obs)

    totals, fallbacks = play(env, watch, seed)
    scores = env.session.outcome().scores
    for agent in env.possible_agents:
        # players dead before the last move left with 0; the rest (the last victim too) get the score
        assert totals[agent] == (0.0 if agent in dead_before_last_move else scores[agent]), agent
    assert any(totals.values()), "a decided game pays its survivors"
    assert set(fallbacks.values()) == {0}, "legal moves never fall back"


def test_draw_at_day_cap_pays_zero() -> None:
    env = WerewolfEnv(n_players=4, max_days=1)
    legal = random_legal(np.random.default_rng(0))

    def abstain_always(env: WerewolfEnv, agent: str, obs: dict[str, Any]) -> Any:
        return "abstain" if obs["legal_mask"][env.n] else legal(env, agent, obs)

    totals, _ = play(env, abstain_always, seed=0)
    outcome = env.session.outcome()
    assert (outcome.winner, outcome.reason) == (None, "day cap")
    assert set(totals.values()) == {0.0}


def test_dead_agent_is_terminated_then_removed() -> None:
    env = WerewolfEnv()
    env.reset(seed=2)
    while env.session.state.phase is not Phase.DAY_DISCUSSION:
        env.step(random_legal(np.random.default_rng(0))(env, env.agent_selection, env.last()[0]))
    assert len(dead(env)) == 1, "seed 2 has a night-1 kill"
    (victim,) = dead(env)
    assert env.agent_selection == victim and env.terminations[victim]
    with pytest.raises(ValueError, match="None"):
        env.step("player_1")  # a dead agent's only valid action is None
    env.step(None)
    assert victim not in env.agents and victim not in env.rewards and victim not in env.infos
    assert env.agent_selection == env.session.to_act()[0]


def test_text_fallbacks_are_counted() -> None:
    env = WerewolfEnv()
    env.reset(seed=0)
    night_actor = env.agent_selection
    env.step("kill everyone!")  # not a legal name: a random legal target instead
    assert env.infos[night_actor]["fallbacks"] == 1
    assert env.session.events[-1].data["target"] in env.possible_agents

    advance_to(env, Phase.DAY_DISCUSSION)
    speaker = env.agent_selection
    env.step(12345)  # not a string: silence
    assert env.session.events[-1].data["text"] == ""
    speaker2 = env.agent_selection
    env.step("x" * (MAX_SPEECH + 5))  # too long: cut at MAX_SPEECH
    assert len(env.session.events[-1].data["text"]) == MAX_SPEECH
    speaker3 = env.agent_selection
    env.step("player_3 is lying")  # any string is speech during the discussion
    assert [env.infos[s]["fallbacks"] for s in (speaker, speaker2, speaker3)] == [1, 1, 0]

    advance_to(env, Phase.DAY_VOTE)
    counts = {a: info["fallbacks"] for a, info in env.infos.items()}
    voter = env.agent_selection
    name = next(a for a in env.agents if a != voter)
    env.step(f"  {name.upper()} ")  # legal once trimmed and lower-cased
    assert env.infos[voter]["fallbacks"] == counts[voter]
    voter = env.agent_selection
    env.step("I vote for nobody in particular")
    assert env.infos[voter]["fallbacks"] == counts[voter] + 1
    assert env.session.events[-1].data == {"voter": voter, "target": None}  # a vote falls back to abstain


def test_discrete_fallbacks_and_intents() -> None:
    env = WerewolfEnv(action_format="discrete")
    env.reset(seed=0)
    actor = env.agent_selection
    masked = int(np.flatnonzero(env.observe(actor)["action_mask"] == 0)[0])
    env.step(masked)
    assert env.infos[actor]["fallbacks"] == 1

    advance_to(env, Phase.DAY_DISCUSSION)
    n, speaker = env.n, env.agent_selection
    mask = env.observe(speaker)["action_mask"]
    assert mask[: n + 1].sum() == 0 and mask[n + 1] == 1  # talk: intents only
    accused = next(i for i in range(n) if mask[n + 2 + i])
    env.step(np.int64(n + 2 + accused))
    statement = env.session.events[-1]
    assert statement.data["text"] == INTENT_SENTENCES["accuse"].format(target=f"player_{accused}")
    assert statement.meta["intent"] == f"accuse:player_{accused}"
    assert env.infos[speaker]["fallbacks"] == 0
    speaker = env.agent_selection
    env.step("quiet please")  # not an index: the quiet intent
    assert env.session.events[-1].data["text"] == INTENT_SENTENCES["quiet"]
    assert env.infos[speaker]["fallbacks"] == 1


def test_claims_of_absent_roles_are_masked() -> None:
    env = WerewolfEnv(n_players=4, action_format="discrete")  # the 4-player mix has no doctor
    env.reset(seed=0)
    advance_to(env, Phase.DAY_DISCUSSION)
    claims = env.observe(env.agent_selection)["action_mask"][3 * 4 + 2 :]
    assert claims.tolist() == [1, 0, 1]  # seer, doctor, villager


def test_structured_fields_match_the_view_and_ignore_hidden_events() -> None:
    env = WerewolfEnv(action_format="discrete")
    policy = random_legal(np.random.default_rng(4))
    env.reset(seed=4)
    seer_checks = 0
    for agent in env.agent_iter(10_000):
        obs, _, terminated, _, _ = env.last()
        assert env.observation_space(agent).contains(obs)
        view = env.session.observe(agent).data
        assert ROLES[obs["role"]].value == view["role"]
        assert obs["alive"].tolist() == [view["alive"][a] for a in env.possible_agents]
        if view["role"] == Role.WEREWOLF:
            assert (obs["known_roles"] == ROLES.index(Role.WEREWOLF)).sum() == 2  # self and teammate
        seer_checks += np.count_nonzero(obs["seer_results"])
        for other in env.agents:
            before = env.observe(other)
            with hidden_events_canaried(env.session, other):
                after = env.observe(other)
            assert data_equivalence(before, after), f"{other}'s env observation reads hidden events"
        env.step(None if terminated else policy(env, agent, obs))
    assert seer_checks > 0


def test_long_speech_stays_inside_the_text_space() -> None:
    env = WerewolfEnv(n_players=8, discussion_rounds=2, max_days=4)
    rng = np.random.default_rng(0)
    speech = "“Trust me” — " + "é" * (MAX_SPEECH - 13)

    def orate(env: WerewolfEnv, agent: str, obs: dict[str, Any]) -> Any:
        assert env.observation_space(agent).contains(obs)
        legal = np.flatnonzero(obs["legal_mask"])
        if legal.size == 0:
            return speech
        return "abstain" if obs["legal_mask"][env.n] else f"player_{int(rng.choice(legal))}"

    play(env, orate, seed=0)
    assert sum(e.kind == "statement" for e in env.session.events) >= 8 * 2


def test_speech_outside_the_charset_is_mended_and_counted() -> None:
    env = WerewolfEnv()
    env.reset(seed=0)
    advance_to(env, Phase.DAY_DISCUSSION)
    speaker = env.agent_selection
    env.step("wolves 🐺 here")
    assert env.session.events[-1].data["text"] == "wolves ? here"
    assert env.infos[speaker]["fallbacks"] == 1
    speaker = env.agent_selection
    env.step("“Curly” quotes — and café are fine")
    assert env.session.events[-1].data["text"] == "“Curly” quotes — and café are fine"
    assert env.infos[speaker]["fallbacks"] == 0


def test_render_modes() -> None:
    env = WerewolfEnv(render_mode="ansi")
    env.reset(seed=0)
    first = env.render()
    assert "] Your role:" in first  # private events, each with its audience
    advance_to(env, Phase.DAY_DISCUSSION)
    delta = env.render()
    assert "[nobody] night_resolution" in delta and "Your role:" not in delta  # only what is new
    silent = WerewolfEnv()
    silent.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode"):
        assert silent.render() is None


def test_observation_arrays_are_read_only_and_keep_their_values() -> None:
    env = pettingzoo.make("aec", "latent_arena/werewolf-v0", action_format="discrete")
    env.reset(seed=3)
    first, *_ = env.last()
    kept = {k: v.copy() for k, v in first.items() if isinstance(v, np.ndarray)}
    with pytest.raises(ValueError, match="read-only"):
        first["alive"][0] = 0
    for _ in range(12):  # later moves never change an observation already handed out
        obs, _, terminated, truncated, _ = env.last()
        env.step(None if terminated or truncated else int(np.flatnonzero(obs["action_mask"])[0]))
    assert all(np.array_equal(first[k], v) for k, v in kept.items())
