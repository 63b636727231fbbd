"""Rules tables for Werewolf (LSPO/SLA rules and the variants), driven on the pure state machine."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from games.werewolf.config import DeathReveal, Role, SpeakingOrder, Team, TieRule, WerewolfConfig
from games.werewolf.rules import Phase, RulesError
from tests.werewolf_helpers import DEAL_4, game, night, talk, vote


def test_game_opens_on_night_one_with_the_lower_wolf_proposing():
    s = game()
    assert (s.day, s.phase, s.to_act()) == (1, Phase.NIGHT_WOLF_PROPOSE, (0,))
    s.choose(0, 5)
    assert (s.phase, s.to_act()) == (Phase.NIGHT_WOLF_KILL, (1,))
    assert s.legal_targets(1) == (2, 3, 4, 5, 6)  # never a wolf


def test_the_deciding_wolf_overrides_the_proposal():
    s = game()
    s.choose(0, 5)
    s.choose(1, 6)
    s.choose(2, 4)
    s.choose(3, 3)
    assert not s.alive[6] and s.alive[5]


@pytest.mark.parametrize(
    ("kill", "protect", "dead"),
    [
        (4, 3, 4),  # doctor protects self, villager dies
        (4, 4, None),  # doctor protects the victim: nobody dies
        (3, 3, None),  # doctor saves themselves
        (2, 4, 2),  # the seer dies
    ],
)
def test_night_resolution(kill, protect, dead):
    s = game()
    night(s, kill=kill, protect=protect)
    announcement = [e for e in s.events if e.kind == "announcement"][-1]
    assert announcement.data["killed"] == (None if dead is None else f"player_{dead}")
    assert [p for p in range(7) if not s.alive[p]] == ([] if dead is None else [dead])
    assert s.phase is Phase.DAY_DISCUSSION


def test_seer_learns_only_werewolf_or_not():
    s = game()
    night(s, kill=4, check=1)
    check = next(e for e in s.events if e.kind == "seer_check")
    assert check.data == {"target": "player_1", "is_werewolf": True}
    assert check.visible_to == frozenset({"player_2"})
    s2 = game()
    night(s2, kill=4, check=3)
    assert next(e for e in s2.events if e.kind == "seer_check").data["is_werewolf"] is False


def test_seer_cannot_check_self_or_dead():
    s = game()
    night(s, kill=4)
    vote(s, {})
    while s.phase is not Phase.NIGHT_SEER:
        s.choose(s.to_act()[0], 5)
    assert 2 not in s.legal_targets(2) and 4 not in s.legal_targets(2)


def test_doctor_self_save_and_repeat_options():
    s = game(doctor_self_save=False)
    s.choose(0, 4)
    s.choose(1, 4)
    s.choose(2, 0)
    assert 3 not in s.legal_targets(3)
    s = game(doctor_repeat_save=False)
    night(s, kill=4, protect=5)
    vote(s, {})
    s.choose(0, 6)
    s.choose(1, 6)
    s.choose(2, 0)
    assert 5 not in s.legal_targets(3) and 3 in s.legal_targets(3)


def test_lone_wolf_decides_alone_and_dead_roles_are_skipped():
    s = game(DEAL_4)
    assert (s.phase, s.to_act()) == (Phase.NIGHT_WOLF_KILL, (0,))
    s.choose(0, 1)  # the seer is still alive until the night resolves, so it checks
    assert (s.phase, s.to_act()) == (Phase.NIGHT_SEER, (1,))
    s.choose(1, 0)
    assert s.phase is Phase.DAY_DISCUSSION and not s.alive[1]  # no doctor in this mix
    vote(s, {})
    s.choose(0, 2)  # the dead seer's turn is skipped: the night resolves at once (and ends at parity)
    assert s.is_over and sum(e.kind == "seer_check" for e in s.events) == 1


def test_discussion_is_ascending_id_order_once_each_by_default():
    s = game()
    night(s, kill=5)
    speakers = []
    while s.phase is Phase.DAY_DISCUSSION:
        speakers.append(s.to_act()[0])
        s.speak(speakers[-1], "hi")
    assert speakers == [0, 1, 2, 3, 4, 6]
    assert s.phase is Phase.DAY_VOTE and set(s.to_act()) == {0, 1, 2, 3, 4, 6}


def test_random_order_and_several_rounds():
    s = game(discussion_order=SpeakingOrder.RANDOM, discussion_rounds=2, seed=3)
    night(s, kill=5)
    speakers = []
    while s.phase is Phase.DAY_DISCUSSION:
        speakers.append(s.to_act()[0])
        s.speak(speakers[-1], "hi")
    assert len(speakers) == 12 and sorted(speakers[:6]) == [0, 1, 2, 3, 4, 6]
    assert speakers[:6] != [0, 1, 2, 3, 4, 6] or speakers[6:] != [0, 1, 2, 3, 4, 6]


def test_vote_is_secret_until_all_voted_and_the_tally_is_public():
    s = game()
    night(s, kill=4)
    talk(s)
    s.choose(0, 5)
    assert [e for e in s.events if e.kind == "vote"][-1].visible_to == frozenset({"player_0"})
    assert not any(e.kind == "vote_result" for e in s.events)
    for p in s.to_act():
        s.choose(p, 5 if p != 5 else 0)
    result = next(e for e in s.events if e.kind == "vote_result")
    assert result.visible_to is None
    assert result.data["tally"] == {"player_5": 5, "player_0": 1}
    assert result.data["eliminated"] == "player_5"


def test_vote_rejects_self_dead_and_accepts_abstain():
    s = game()
    night(s, kill=4)
    talk(s)
    with pytest.raises(RulesError):
        s.choose(0, 0)
    with pytest.raises(RulesError):
        s.choose(0, 4)
    s.choose(0, None)
    with pytest.raises(RulesError):
        s.choose(0, 5)  # already voted


TIE = {0: 5, 1: 6, 2: 5, 3: 6, 4: None, 5: 4, 6: 4}  # 5 and 6 tie with 2 votes, 4 has 2 too


@pytest.mark.parametrize(
    ("rule", "ballots", "eliminated"),
    [
        (TieRule.NO_ELIMINATION, {0: 5, 1: 6, 2: 5, 3: 6}, None),
        (TieRule.NO_ELIMINATION, {0: 5, 1: 5, 2: 6}, 5),
        (TieRule.STRICT_MAJORITY, {0: 5, 1: 5, 2: 5}, None),  # 3 of 6 living is not more than half
        (TieRule.STRICT_MAJORITY, {0: 5, 1: 5, 2: 5, 3: 5}, 5),
        (TieRule.RANDOM, {0: 5, 1: 5, 2: 6}, 5),
        (TieRule.RANDOM, {}, None),  # everyone abstains
    ],
)
def test_tie_rules(rule, ballots, eliminated):
    s = game(tie_rule=rule)
    night(s, kill=4)
    vote(s, ballots)
    result = next(e for e in s.events if e.kind == "vote_result")
    assert result.data["eliminated"] == (None if eliminated is None else f"player_{eliminated}")


def test_random_tie_break_picks_among_the_tied_only_and_is_seeded():
    picks = set()
    for seed in range(40):
        s = game(seed=seed)
        night(s, kill=4)
        vote(s, {0: 5, 1: 6, 2: 5, 3: 6, 5: 2})
        picks.add(next(e for e in s.events if e.kind == "vote_result").data["eliminated"])
    assert picks == {"player_5", "player_6"}

    def once(seed):
        s = game(seed=seed)
        night(s, kill=4)
        vote(s, {0: 5, 1: 6, 2: 5, 3: 6})
        return next(e for e in s.events if e.kind == "vote_result").data["eliminated"]

    assert [once(7) for _ in range(3)] == [once(7)] * 3


def test_parity_after_a_night_kill_ends_the_game_before_day():
    # 4 players, one wolf: two night kills leave 1 wolf vs 1 other
    s = game(DEAL_4)
    night(s, kill=2)
    vote(s, {})  # everyone abstains
    assert s.alive == [True, True, False, True] and not s.is_over
    night(s, kill=1)
    assert s.is_over and s.winner is Team.WEREWOLVES and s.end_reason == "parity"
    assert not any(e.kind == "day" and e.data["day"] == 3 for e in s.events)


def test_parity_is_checked_after_the_vote_too():
    s = game()
    night(s, kill=4, protect=3)  # 6 alive: 2 wolves, 4 others
    vote(s, {0: 5, 1: 5, 2: 5})
    assert not s.is_over  # 2 wolves vs 3 others
    night(s, kill=6, protect=3)  # 2 vs 2 -> parity at the night kill
    assert s.is_over and s.winner is Team.WEREWOLVES


def test_last_wolf_dying_in_the_vote_ends_with_a_village_win():
    s = game(DEAL_4)
    night(s, kill=3)
    vote(s, {1: 0, 2: 0})
    assert s.is_over and s.winner is Team.VILLAGE and s.end_reason == "all werewolves dead"
    assert s.returns() == [-1.0, 1.0, 1.0, 1.0]
    assert s.to_act() == () and s.events[-1].kind == "game_over"


def test_day_cap_is_a_reported_draw():
    s = game(max_days=2)
    night(s, kill=4, protect=4)
    vote(s, {})
    night(s, kill=5, protect=5)
    vote(s, {})
    assert s.is_over and s.winner is None and s.end_reason == "day cap"
    assert s.returns() == [0.0] * 7


@pytest.mark.parametrize(
    ("reveal", "expected"),
    [
        (DeathReveal.NONE, {}),
        (DeathReveal.TEAM, {"revealed_team": "village"}),
        (DeathReveal.ROLE, {"revealed_role": "seer"}),
    ],
)
def test_what_death_reveals(reveal, expected):
    s = game(death_reveal=reveal)
    night(s, kill=2)
    announcement = next(e for e in s.events if e.kind == "announcement")
    assert {k: v for k, v in announcement.data.items() if k.startswith("revealed")} == expected


def test_clone_is_independent():
    s = game()
    c = s.clone()
    night(c, kill=4)
    assert s.phase is Phase.NIGHT_WOLF_PROPOSE and all(s.alive)
    assert len(c.events) > len(s.events)
    a, b = s.clone(), s.clone()
    assert a.rng.integers(1 << 30) == b.rng.integers(1 << 30)


def test_moves_out_of_turn_are_rejected():
    s = game()
    with pytest.raises(RulesError):
        s.choose(1, 4)
    with pytest.raises(RulesError):
        s.speak(0, "hello")


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"n_players": 7, "roles": {"werewolf": 2, "seer": 1, "villager": 3}}, "roles add up to 6"),
        ({"n_players": 4, "roles": {"werewolf": 2, "villager": 2}}, "minority"),
        ({"n_players": 11}, "no default role mix"),
        ({"tie_rule": "coin"}, "tie_rule"),
        ({"max_days": 0}, "max_days"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_configs_name_the_problem(options, field):
    with pytest.raises(ValidationError, match=field):
        WerewolfConfig(**options)


def test_default_role_mixes():
    assert WerewolfConfig().role_counts() == {Role.WEREWOLF: 2, Role.SEER: 1, Role.DOCTOR: 1, Role.VILLAGER: 3}
    assert WerewolfConfig(n_players=4).role_counts() == {
        Role.WEREWOLF: 1,
        Role.SEER: 1,
        Role.DOCTOR: 0,
        Role.VILLAGER: 2,
    }
