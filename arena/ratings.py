"""OpenSkill ratings (Weng & Lin, JMLR 2011; the ``openskill`` package's Plackett–Luce model).

Each finished match is one rating update between its teams (Werewolf: werewolves vs village), and
each team is the list of its *seats*, every seat carrying its agent's current rating. The model's
team strength is the sum over seats, so a 5-seat village meets a 2-seat wolf pack as it is; every
agent plays both sides across a tournament, so that asymmetry is shared by all. Because the model
expects the bigger team to win and Werewolf's wolves win often, every mu drifts the same way over a
run: compare ratings within a run (the ranking), not with the prior mu of 25.

An agent filling several seats (sides format: one agent plays a whole team) gets one delta per seat
from the update; its rating moves by the AVERAGE of those per-seat deltas (for mu and sigma alike),
so filling five seats does not count five times. When one agent sits on both teams of a match its
win-side and loss-side deltas average out, as they should in self-play. The winning team ranks
first; a draw ranks both teams equal (a tie). Matches are processed in index order, so ratings are
deterministic for a given set of records, whatever order the matches finished in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from openskill.models import PlackettLuce

from arena.records import MatchRecord


@dataclass(frozen=True)
class Rating:
    mu: float
    sigma: float

    @property
    def ordinal(self) -> float:
        """Conservative skill estimate mu − 3·sigma (openskill's ``ordinal()``), used for ranking."""
        return self.mu - 3.0 * self.sigma


def rate(matches: Iterable[MatchRecord], agents: Iterable[str] = ()) -> dict[str, Rating]:
    """Ratings after every finished match; ``agents`` listed without games keep the prior."""
    model = PlackettLuce()
    ratings = {name: Rating(model.mu, model.sigma) for name in agents}
    for match in sorted(matches, key=lambda m: m.index):
        if match.status != "done" or match.outcome is None:
            continue
        teams: dict[str, list[str]] = defaultdict(list)  # team -> agent per seat
        for seat, agent in match.seats.items():
            teams[match.outcome["teams"][seat]].append(agent)
            ratings.setdefault(agent, Rating(model.mu, model.sigma))
        order = sorted(teams)
        winner = match.outcome["winner"]
        ranks = [0 if winner is None or team == winner else 1 for team in order]
        before = [[model.rating(mu=ratings[a].mu, sigma=ratings[a].sigma) for a in teams[t]] for t in order]
        after = model.rate(before, ranks=ranks)
        deltas: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for team, new_team in zip(order, after, strict=True):
            for agent, new in zip(teams[team], new_team, strict=True):
                deltas[agent].append((new.mu - ratings[agent].mu, new.sigma - ratings[agent].sigma))
        for agent, ds in deltas.items():
            old = ratings[agent]
            ratings[agent] = Rating(
                old.mu + sum(d[0] for d in ds) / len(ds), old.sigma + sum(d[1] for d in ds) / len(ds)
            )
    return ratings
