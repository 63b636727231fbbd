"""Information-state tensors of the abstract games: one key gives one tensor, and no hidden information."""

from __future__ import annotations

import numpy as np
import pyspiel

from games.werewolf import Role, WerewolfConfig
from games.werewolf.rules import Phase
from solvers.abstract.rpssl import rpssl_game
from solvers.abstract.werewolf import ROLES, werewolf_game

W, S, D, V = Role.WEREWOLF, Role.SEER, Role.DOCTOR, Role.VILLAGER


def test_same_key_same_tensor_over_sampled_states():
    game = werewolf_game(WerewolfConfig(max_days=3))
    assert game.information_state_tensor_shape() == [game.shared.layout.size]
    rng = np.random.default_rng(0)
    seen: dict[str, bytes] = {}
    for _ in range(15):
        state = game.new_initial_state()
        while not state.is_terminal():
            for p in range(game.num_players()):
                tensor = state.information_tensor(p)
                assert set(np.unique(tensor)) <= {0.0, 1.0}
                assert seen.setdefault(state.information_state_string(p), tensor.tobytes()) == tensor.tobytes()
            if state.is_chance_node():
                actions, probs = zip(*state.chance_outcomes(), strict=True)
                state.apply_action(int(rng.choice(actions, p=probs)))
            else:
                p = state.current_player()
                assert state.information_state_tensor(p) == state.information_tensor(p).tolist()  # the observer's
                state.apply_action(int(rng.choice(state.legal_actions())))
    tensors = set(seen.values())
    assert len(tensors) > 0.9 * len(seen)  # and it tells states apart about as well as the key


def play(deal: list[Role], seer_check: int, doctor_save: int) -> dict[int, list[tuple[str, bytes]]]:
    """The same public history on the 7-player game under ``deal`` and the given hidden night moves; every
    seat's (key, tensor) at every step. Night 1: the seer (seat 3) is killed; day 1: the doctor (seat 4) is
    voted out; night 2: seat 0 is killed and the wolves reach parity."""
    game = werewolf_game(WerewolfConfig(max_days=3))
    state = game.new_initial_state()
    for role in deal:
        state.apply_action(ROLES.index(role))
    seen: dict[int, list[tuple[str, bytes]]] = {p: [] for p in range(7)}
    while not state.is_terminal():
        for p in range(7):
            seen[p].append((state.information_state_string(p), state.information_tensor(p).tobytes()))
        phase, voter = state.rules.phase, state.current_player()
        moves = {
            Phase.NIGHT_WOLF_PROPOSE: 3 if state.rules.day == 1 else 0,
            Phase.NIGHT_WOLF_KILL: 3 if state.rules.day == 1 else 0,
            Phase.NIGHT_SEER: seer_check,
            Phase.NIGHT_DOCTOR: doctor_save,
            Phase.DAY_DISCUSSION: 1,
            Phase.DAY_VOTE: 0 if voter == 4 else 4,
        }
        assert moves[phase] in state.legal_actions()
        state.apply_action(moves[phase])
    assert state.rules.winner is not None and not state.rules.alive[0]
    return seen


def test_a_villager_sees_nothing_of_the_deal_or_the_night():
    wolves_12 = play([V, W, W, S, D, V, V], seer_check=1, doctor_save=4)
    wolves_56 = play([V, V, V, S, D, W, W], seer_check=6, doctor_save=0)
    assert wolves_12[0] == wolves_56[0]  # villager at seat 0: same keys and tensors at every step
    assert wolves_12[3] != wolves_56[3]  # the seer checked someone else
    assert wolves_12[1] != wolves_56[1]  # seat 1 is a wolf in one deal only


def test_matrix_game_tensor_hides_the_other_pick():
    game = rpssl_game()
    state = game.new_initial_state()
    state.apply_action(3)
    assert state.information_state_tensor(1) == [0, 1, 0, 0, 0, 0, 0]  # seat only: player 0's pick is hidden
    assert state.information_state_tensor(0) == [1, 0, 0, 0, 0, 1, 0]
    assert pyspiel.load_game(str(game)).get_type().provides_information_state_tensor
