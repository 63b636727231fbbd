"""The quality check on scripted transcripts: labels present, distinct-utterance rule, metrics' known answers."""

import numpy as np
import pytest

from solvers.latent.embed import HashingEmbedder
from solvers.latent.quality import (
    RPSSL_SCENARIO,
    characteristic,
    label_quality,
    play_utterances,
    purity,
    scripted_scenario,
    strategy_quality,
)
from solvers.latent.utterances import Utterance

STRATEGIES = {
    "seer": {"reveal", "hide"},
    "werewolf": {"fake_seer", "lie_low"},
    "villager": {"follow_seer", "quietest"},
    "doctor": {"protect_self", "protect_seer"},
}


@pytest.fixture(scope="module")
def scripted() -> list[Utterance]:
    return play_utterances(scripted_scenario(), games=1)  # 12 ordered pairs of the 4 scripted agents


def test_scripted_games_cover_every_strategy_of_every_role(scripted):
    assert all(u.role and u.label and u.intent and u.day for u in scripted)
    seen: dict[str, set[str]] = {}
    for u in scripted:
        role, strategy = u.label.split(":")
        assert role == u.role
        seen.setdefault(role, set()).add(strategy)
    assert seen == STRATEGIES


def test_characteristic_keeps_what_only_the_own_strategy_says_most():
    def u(label: str, intent: str) -> Utterance:
        return Utterance("t", "p", "seer", label=f"seer:{label}", intent=intent)

    # reveal always claims; hide claims half the time (after finding a wolf) and hints otherwise
    group = [u("reveal", "claim")] * 4 + [u("hide", "claim"), u("hide", "hint")]
    assert characteristic(group) == [True] * 4 + [False, True]
    assert characteristic([u("a", "x"), u("b", "x")]) == [False, False]  # a tie belongs to nobody


def test_purity_known_answers():
    assert purity(np.array([0, 0, 1, 1]), np.array([5, 5, 7, 7])) == 1.0
    assert purity(np.array([0, 1, 0, 1]), np.array([0, 0, 0, 0])) == 0.5


def test_strategy_quality_reports_every_role(scripted):
    report = strategy_quality(scripted, HashingEmbedder(), ks=[2, 3])
    assert set(report) == set(STRATEGIES)
    for role, q in report.items():
        assert q.k == 2 and q.strategies == tuple(sorted(f"{role}:{s}" for s in STRATEGIES[role]))
        assert -1 <= q.ari <= 1 and 0 < q.distinct_share <= 1 and 0 < q.purity_schedule <= 1
        assert q.k_schedule == (3 if role == "werewolf" else 2) and set(q.silhouette) <= {2, 3}


def test_label_quality_on_rpssl_moves():
    utterances = play_utterances(scripted_scenario(RPSSL_SCENARIO), games=1)  # 20 ordered pairs, 5 rounds
    assert utterances and all(u.label in {"rock", "paper", "scissors", "spock", "lizard"} for u in utterances)
    report = label_quality(utterances, HashingEmbedder(), ks=[5, 7])
    assert set(report) == {"red", "blue"}
    for side, q in report.items():
        assert q.n == len([u for u in utterances if u.role == side]) and q.k == len(q.labels) == 5
        assert -1 <= q.ari <= 1 and 0.2 <= q.purity <= 1 and set(q.purity_by_k) == {5, 7}
