"""LatentSpace: fit per role, assign, save/load round trip, format version, labels, utterance extraction."""

import json

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from arena.records import MatchRecord, Records
from games.base import Event
from solvers.latent import (
    ClusterConfig,
    HashingEmbedder,
    LatentSpace,
    LatentSpaceFormatError,
    Utterance,
    label_role,
    utterances_from_events,
    utterances_from_records,
)

# two clearly different ways of talking per role (no shared words between a role's strategies)
STYLES = {
    "werewolf": {
        "claim": ["I am the seer and {p} is evil", "seer here and {p} is evil", "as the seer I found {p} evil"],
        "quiet": ["I will wait and listen today", "wait and listen first", "let us wait and listen"],
        "crowd": ["everyone else suspects {p}", "everyone suspects {p} so do I", "like everyone I suspect {p}"],
    },
    "villager": {
        "follow": ["trust the seer vote {p}", "the seer knows follow the seer", "the seer says {p} so vote"],
        "quiet": ["{p} is so quiet silent", "quiet silent {p} hiding", "silent quiet players like {p}"],
    },
}


def synthetic(n: int = 60, seed: int = 0) -> list[Utterance]:
    rng = np.random.default_rng(seed)
    found = []
    for role, styles in STYLES.items():
        for i in range(n):
            name = list(styles)[i % len(styles)]
            text = styles[name][int(rng.integers(3))].format(p=f"player_{int(rng.integers(7))}")
            found.append(Utterance(text, f"player_{i % 7}", role, day=1, label=f"{role}:{name}"))
    return found


@pytest.fixture
def space() -> LatentSpace:
    return LatentSpace.fit(synthetic(), HashingEmbedder(dim=512), ClusterConfig(seed=3))


def test_fit_uses_the_lspo_schedule_and_recovers_the_styles(space):
    assert space.k("werewolf") == 3 and space.k("villager") == 2  # iteration 0
    for role, rs in space.roles.items():
        truth = [t for t in (u.label for u in synthetic() if u.role == role)]
        assert adjusted_rand_score(truth, rs.labels) == 1.0
    later = LatentSpace.fit(synthetic(), HashingEmbedder(dim=512), iteration=1)
    assert later.k("werewolf") == 4 and later.k("villager") == 3


def test_assign_agrees_with_the_fit(space):
    rs = space.roles["villager"]
    np.testing.assert_array_equal(space.assign(rs.texts, "villager"), rs.labels)
    # a new wording of a known style lands with its style
    quiet_id = rs.labels[rs.texts.index(next(t for t in rs.texts if "quiet" in t))]
    assert space.assign(["player_9 quiet silent"], "villager")[0] == quiet_id
    with pytest.raises(KeyError, match="doctor"):
        space.assign(["hello"], "doctor")


def test_same_seed_same_space():
    a = LatentSpace.fit(synthetic(), HashingEmbedder(dim=512), ClusterConfig(seed=7))
    b = LatentSpace.fit(synthetic(), HashingEmbedder(dim=512), ClusterConfig(seed=7))
    for role in a.roles:
        np.testing.assert_array_equal(a.roles[role].centroids, b.roles[role].centroids)
        np.testing.assert_array_equal(a.roles[role].labels, b.roles[role].labels)


def test_save_load_round_trip(space, tmp_path):
    path = space.save(tmp_path / "latent" / "iter0")
    loaded = LatentSpace.load(path, embedder=HashingEmbedder(dim=512))
    assert loaded.config == space.config and loaded.iteration == 0 and loaded.embedder_name == space.embedder_name
    for role, rs in space.roles.items():
        got = loaded.roles[role]
        np.testing.assert_array_equal(got.centroids, rs.centroids)
        np.testing.assert_array_equal(got.labels, rs.labels)
        assert got.texts == rs.texts and got.k == rs.k
        np.testing.assert_array_equal(loaded.assign(rs.texts, role), rs.labels)
    assert LatentSpace.load(path).embedder is None
    with pytest.raises(RuntimeError, match="embedder"):
        LatentSpace.load(path).assign(["x"], "villager")
    with pytest.raises(ValueError, match="hashing-512"):
        LatentSpace.load(path, embedder=HashingEmbedder(dim=64))


def test_wrong_format_version_is_a_clear_error(space, tmp_path):
    path = space.save(tmp_path / "space")
    header = json.loads((path / "space.json").read_text())
    header["format_version"] = 99
    (path / "space.json").write_text(json.dumps(header))
    with pytest.raises(LatentSpaceFormatError, match=r"version 99.*reads version 1"):
        LatentSpace.load(path)
    with pytest.raises(LatentSpaceFormatError, match="not a latent space"):
        LatentSpace.load(tmp_path / "nowhere")


def test_cluster_labels_name_the_style(space):
    labels = label_role(space, "villager")
    assert [c.cluster for c in labels] == [0, 1] and sum(c.size for c in labels) == 60
    assert sum(c.frequency for c in labels) == pytest.approx(1.0)
    by_phrase = {c.cluster: " ".join(c.key_phrases) for c in labels}
    quiet = next(c for c in labels if "quiet" in by_phrase[c.cluster])
    assert "seer" not in by_phrase[quiet.cluster] and "player_" not in by_phrase[quiet.cluster]
    assert all("quiet" in t or "silent" in t for t in quiet.exemplars) and len(set(quiet.exemplars)) == 3
    assert quiet.title().startswith(f"#{quiet.cluster} (")


def _log() -> list[Event]:
    return [
        Event("role", {"player": "player_0", "role": "seer"}, frozenset({"player_0"})),
        Event("role", {"player": "player_1", "role": "werewolf"}, frozenset({"player_1"})),
        Event("statement", {"speaker": "player_0", "text": "I am the seer.", "day": 1}, None, {"label": "seer:reveal"}),
        Event("vote", {"voter": "player_0", "target": "player_1"}),
        Event("statement", {"speaker": "player_1", "text": "Lies.", "day": 1}, None, {"intent": "defend_self"}),
        Event("statement", {"speaker": "player_2", "text": "Rock!", "role": "p2"}, None, {"role": "scissors_fan"}),
    ]


def test_utterances_from_events_and_records(tmp_path):
    found = utterances_from_events(_log(), match_id="m1")
    assert [(u.speaker, u.role, u.day, u.seq, u.label, u.intent) for u in found] == [
        ("player_0", "seer", 1, 2, "seer:reveal", None),
        ("player_1", "werewolf", 1, 4, None, "defend_self"),
        ("player_2", "scissors_fan", None, 5, None, None),  # meta role first (game-agnostic)
    ]
    assert utterances_from_events(_log(), roles={"player_0": "doctor"})[0].role == "doctor"
    records = Records(tmp_path / "records.sqlite")
    outcome = {"roles": {"player_0": "seer", "player_1": "werewolf", "player_2": "villager"}}
    records.save_match(MatchRecord("m1", 0, 1, "werewolf", {}, outcome=outcome), _log())
    records.save_match(MatchRecord("m2", 1, 2, "werewolf", {}, status="error"), _log())
    records.close()
    from_db = utterances_from_records(tmp_path / "records.sqlite")
    assert [(u.match_id, u.text) for u in from_db] == [("m1", u.text) for u in found]
    assert utterances_from_records(tmp_path / "records.sqlite", game="rpssl") == []
    with pytest.raises(FileNotFoundError):
        utterances_from_records(tmp_path / "missing.sqlite")
