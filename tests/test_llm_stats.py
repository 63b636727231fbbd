"""A backend's counters: spans between snapshots and spans added together (the batching benchmark's arithmetic)."""

from __future__ import annotations

import copy

from agents.llm.stats import BackendStats


def test_since_counts_the_span_and_keeps_the_current_maximum():
    before = BackendStats(requests=3, generated_tokens=10, prefill_s=1.5, max_batch_rows=4)
    after = copy.copy(before)
    after.requests, after.generated_tokens, after.prefill_s, after.max_batch_rows = 5, 40, 2.0, 9
    span = after.since(before)
    assert (span.requests, span.generated_tokens, span.prefill_s) == (2, 30, 0.5)
    assert span.max_batch_rows == 9  # a maximum is not a count: not differenced
    assert before.requests == 3 and after.requests == 5  # neither snapshot changes


def test_adding_spans_sums_counts_and_takes_the_larger_maximum():
    a = BackendStats(batches=2, prefix_hits=1, decode_s=0.25, max_batch_rows=7)
    b = BackendStats(batches=3, prefix_hits=4, decode_s=0.5, max_batch_rows=5)
    total = a + b
    assert (total.batches, total.prefix_hits, total.decode_s, total.max_batch_rows) == (5, 5, 0.75, 7)
    assert total.prefix_hit_rate == 0.0  # no lookups counted: a rate of nothing is 0, not a division error
