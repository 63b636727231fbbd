"""The abstract Werewolf game: OpenSpiel conformance, chance nodes, rewards, and keys (and tensors) equal to a
real match's."""

from __future__ import annotations

import numpy as np
import pyspiel
import pytest

from games.base import Action
from games.werewolf import Role, TieRule, WerewolfConfig, WerewolfSession
from solvers.abstract.infostate import describe_key, observation_key
from solvers.abstract.shaping import lspo_returns
from solvers.abstract.tensor import observation_tensor
from solvers.abstract.werewolf import ROLES, werewolf_game

FOUR = {Role.WEREWOLF: 1, Role.SEER: 1, Role.VILLAGER: 2}


def small(max_days: int = 1, **options) -> WerewolfConfig:
    return WerewolfConfig(n_players=4, roles=FOUR, max_days=max_days, **options)


def random_playout(game: pyspiel.Game, rng: np.random.Generator) -> pyspiel.State:
    state = game.new_initial_state()
    while not state.is_terminal():
        if state.is_chance_node():
            actions, probs = zip(*state.chance_outcomes(), strict=True)
            assert sum(probs) == pytest.approx(1.0)
            state.apply_action(int(rng.choice(actions, p=probs)))
        else:
            key = state.information_state_string()
            assert key == state.information_state_string()  # deterministic
            state.apply_action(int(rng.choice(state.legal_actions())))
    return state


def test_loads_by_name_and_round_trips_its_parameters():
    game = werewolf_game(small(), k={"werewolf": 3})
    again = pyspiel.load_game(str(game))
    assert again.num_players() == 4 and str(again) == str(game)
    assert again.k[Role.WEREWOLF] == 3 and again.k[Role.VILLAGER] == 2


def test_random_playouts_end_with_rules_outcomes():
    game = werewolf_game(WerewolfConfig(max_days=3))  # the LSPO 7-player game, capped
    rng = np.random.default_rng(0)
    for _ in range(20):
        state = random_playout(game, rng)
        returns = state.returns()
        assert set(returns) <= {-1.0, 0.0, 1.0}
        assert state.rules.is_over


def test_deal_is_uniform_over_distinct_deals():
    game = werewolf_game(small())
    deals: dict[tuple[str, ...], float] = {}

    def walk(state: pyspiel.State, prob: float, dealt: tuple[str, ...]) -> None:
        if not state.is_chance_node() or state.rules is not None:
            deals[dealt] = deals.get(dealt, 0.0) + prob
            return
        for action, p in state.chance_outcomes():
            walk(state.child(action), prob * p, (*dealt, ROLES[action].value))

    walk(game.new_initial_state(), 1.0, ())
    assert len(deals) == 12  # 4! / 2! seatings of W, S, V, V
    assert all(p == pytest.approx(1 / 12) for p in deals.values())


def test_tied_vote_is_a_chance_node():
    game = werewolf_game(small())
    state = game.new_initial_state()
    for role in (Role.WEREWOLF, Role.SEER, Role.VILLAGER, Role.VILLAGER):
        state.apply_action(ROLES.index(role))
    state.apply_action(3)  # wolf kills player_3
    state.apply_action(0)  # seer checks player_0
    for _ in range(3):  # three speeches
        assert state.legal_actions() == [0, 1] or state.legal_actions() == [0, 1, 2]
        state.apply_action(0)
    state.apply_action(1)  # player_0 votes player_1
    state.apply_action(2)  # player_1 votes player_2
    state.apply_action(4)  # player_2 abstains: player_1 and player_2 tie
    assert state.is_chance_node()
    assert [state.action_to_string(pyspiel.PlayerId.CHANCE, a) for a, _ in state.chance_outcomes()] == [
        "tie:player_1",
        "tie:player_2",
    ]
    state.apply_action(0)
    assert state.is_terminal() and state.returns() == [1.0, -1.0, -1.0, -1.0]  # seer out: wolves at parity


def test_shaped_reward_follows_lspo():
    game = werewolf_game(small(), shaped_reward=True)
    state = game.new_initial_state()
    for role in (Role.WEREWOLF, Role.SEER, Role.VILLAGER, Role.VILLAGER):
        state.apply_action(ROLES.index(role))
    for action in (3, 0, 0, 0, 0):  # kill player_3, check player_0, three speeches
        state.apply_action(action)
    for action in (1, 0, 0):  # wolf votes the seer, both village players vote the wolf
        state.apply_action(action)
    assert state.is_terminal()
    # wolf voted out: village wins. player_1: +300 win, +20 good vote, +5 opponent out, +5 survived the day
    assert state.returns() == pytest.approx([-300 - 10, 330, 330, 300 + 5])  # player_3 died at night
    assert lspo_returns(state.rules) == state.returns()


@pytest.mark.parametrize("tie_rule", [TieRule.RANDOM, TieRule.NO_ELIMINATION])
def test_real_match_keys_equal_abstract_keys(tie_rule: TieRule):
    ties = sum(mirror_match(seed, tie_rule) for seed in range(8))
    assert ties > 0 or tie_rule is not TieRule.RANDOM  # the tie-break chance node was exercised


def mirror_match(seed: int, tie_rule: TieRule) -> int:
    """Play the same random moves in a real session (free speech, mapped to latent ids) and in the abstract
    game; every player's key must agree at every step. Returns the number of tie breaks followed."""
    config = WerewolfConfig(n_players=5, max_days=2, tie_rule=tie_rule)  # wolf, seer, doctor, 2 villagers
    k = {Role.WEREWOLF: 3, Role.SEER: 2, Role.DOCTOR: 2, Role.VILLAGER: 2}
    rng = np.random.default_rng(seed)
    deal = [Role(r) for r in rng.permutation([r.value for r in config.role_list()])]
    session = WerewolfSession(config, seed=seed, roles=deal)
    game = werewolf_game(config, k=k)
    abstract = game.new_initial_state()
    for role in deal:
        abstract.apply_action(ROLES.index(role))
    latent_of: dict[str, int] = {}
    checked = ties = 0
    while not session.is_over():
        for p, name in enumerate(session.players):
            obs = session.observe(name)
            assert observation_key(obs, latent_of) == abstract.information_state_string(p)
            if obs.phase != "waiting":  # the tensor, like the key, from the observation at the player's turn
                tensor = observation_tensor(obs, latent_of, game.shared.layout)
                assert np.array_equal(tensor, abstract.information_tensor(p))
            checked += 1
        name = session.to_act()[0]
        p = session.players.index(name)
        assert abstract.current_player() == p
        legal = session.legal(name)
        if legal is None:  # speech: some text, and the latent id a clusterer would give it
            z = int(rng.integers(k[deal[p]]))
            text = f"{name} says #{len(latent_of)}"
            latent_of[text] = z
            session.step(name, Action(text))
            abstract.apply_action(z)
            continue
        move = legal[int(rng.integers(len(legal)))]
        session.step(name, Action(move))
        abstract.apply_action(len(deal) if move == "abstain" else int(move.split("_")[1]))
        if abstract.is_chance_node():  # a tie: follow the real game's draw
            ties += 1
            out = next(e.data["eliminated"] for e in reversed(session.events) if e.kind == "vote_result")
            for action, _ in abstract.chance_outcomes():
                if abstract.action_to_string(pyspiel.PlayerId.CHANCE, action) == f"tie:{out}":
                    abstract.apply_action(action)
                    break
    assert abstract.is_terminal() and abstract.returns() == list(session.outcome().scores.values())
    assert checked > 20
    return ties


def test_describe_key():
    game = werewolf_game(small())
    state = game.new_initial_state()
    for role in (Role.VILLAGER, Role.WEREWOLF, Role.SEER, Role.VILLAGER):
        state.apply_action(ROLES.index(role))
    assert describe_key(state.information_state_string()) == (1, "werewolf", "night_wolf_kill")
    state.apply_action(0)
    state.apply_action(3)
    assert game.speech_role(state.information_state_string()) == "werewolf"
