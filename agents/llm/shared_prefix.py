"""Prefixes that several prompts of one batch share: which to run once before the batch.

The prefix cache (:mod:`agents.llm.prefix_cache`) only helps a prompt whose prefix an *earlier* batch
ran. The prompts of one batch all miss together when none of them is cached yet: at the start of 32
Werewolf games, the same seat's system text, rules and setup (~230 tokens) open that seat's prompt in
every game, and each row would run them itself. Here the batch's prompts are read as a token trie,
as SGLang's RadixAttention does with its radix tree (Zheng et al. 2024, "SGLang: Efficient Execution
of Structured Language Model Programs"): every branch point that two or more prompts pass through is
a prefix they share. :func:`plan_shared_prefixes` picks the prefixes that save tokens; the backend
runs them first, one tree level per pass (a deeper prefix extends a shallower one through the cache),
and puts them in the prefix cache, where the batch's own lookups, and later batches', find them.

The branch points are the longest common prefixes of neighbours in sorted order, and the prompts
that share one are a contiguous run of that order (an LCP interval, Abouelhoda et al. 2004,
"Replacing suffix trees with enhanced suffix arrays").
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from agents.llm.prefix_cache import common_prefix


def plan_shared_prefixes(
    prompts: Sequence[Sequence[int]], cached: Sequence[int], *, min_length: int, min_gain: int
) -> list[list[list[int]]]:
    """Shared prefixes worth running once, by level: level ``k`` may extend prefixes of levels before it.

    ``cached[i]`` is how many of prompt ``i``'s tokens the prefix cache already holds. A prefix is run
    when it is longer than ``min_length`` tokens (the cache keeps nothing shorter) and it saves at least
    ``min_gain`` prompt tokens: the tokens its prompts would each run minus the tokens it runs itself.
    Every prompt keeps at least its last token to run (its logits start the reply), so a prefix is
    never a whole prompt; ``n`` copies of one prompt share all of it but that token."""
    order = sorted(range(len(prompts)), key=lambda i: prompts[i])
    # common[k]: shared by the k-th and (k+1)-th prompts in sorted order, leaving each a token to run
    common = [
        min(common_prefix(prompts[a], prompts[b]), len(prompts[a]) - 1, len(prompts[b]) - 1) for a, b in pairwise(order)
    ]
    covered = list(cached)  # per prompt: tokens that the cache or a chosen prefix will provide
    depth = [0] * len(prompts)  # per prompt: level of the longest chosen prefix it starts with
    levels: list[list[list[int]]] = []
    for length, first, last in _intervals(common):
        if length <= min_length:
            continue
        rows = [order[k] for k in range(first, last + 1)]
        start = max(min(covered[i], length) for i in rows)  # where its own pass starts
        saved = sum(max(0, length - covered[i]) for i in rows) - (length - start)
        if start >= length or saved < min_gain:
            continue
        level = max(depth[i] for i in rows)  # a chosen prefix of any of these rows is a prefix of this one
        if level == len(levels):
            levels.append([])
        levels[level].append(list(prompts[rows[0]][:length]))
        for i in rows:
            covered[i], depth[i] = max(covered[i], length), level + 1
    return levels


def _intervals(common: list[int]) -> list[tuple[int, int, int]]:
    """``(length, first, last)`` per branch point, shortest first: the sorted prompts ``first..last``
    (inclusive) share their first ``length`` tokens, and the run is maximal. Shorter prefixes come
    first, so a prefix is planned after every prefix of it."""
    found = set()
    for k, length in enumerate(common):
        if length == 0:
            continue
        lo, hi = k, k
        while lo > 0 and common[lo - 1] >= length:
            lo -= 1
        while hi + 1 < len(common) and common[hi + 1] >= length:
            hi += 1
        found.add((length, lo, hi + 1))  # pairs lo..hi cover prompts lo..hi+1
    return sorted(found)
