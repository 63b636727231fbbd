"""What a local backend counts: requests, batches, tokens, prefix-cache reuse, and where its time goes."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass
class BackendStats:
    """Counters of a local backend since it started; ``max_batch_rows`` is a maximum, not a count."""

    requests: int = 0
    batches: int = 0
    rows: int = 0
    generated_tokens: int = 0
    decode_rows: int = 0  # rows run by decoding passes, summed over the passes (rows already finished included)
    max_batch_rows: int = 0
    prefix_lookups: int = 0  # prompts looked up in the prefix cache (one per generate row, one per score)
    prefix_hits: int = 0  # ... that reused a cached prefix
    reused_tokens: int = 0  # prompt tokens whose keys and values came from the prefix cache
    prefilled_tokens: int = 0  # prompt tokens run through the model
    shared_prefixes: int = 0  # prefixes that several prompts of a batch shared, run once before it
    shared_tokens: int = 0  # ... the tokens they ran (not counted in ``prefilled_tokens``)
    # where the worker's time goes (seconds): prompt passes (shared prefixes included), decoding passes,
    # sampling, scoring the options' tokens, and prefix-cache work (lookups, planning shared prefixes,
    # copying entries out of a batch)
    prefill_s: float = 0.0
    decode_s: float = 0.0
    sampling_s: float = 0.0
    options_s: float = 0.0
    prefix_cache_s: float = 0.0

    @property
    def prefix_hit_rate(self) -> float:
        return self.prefix_hits / self.prefix_lookups if self.prefix_lookups else 0.0

    @property
    def reused_fraction(self) -> float:
        total = self.reused_tokens + self.prefilled_tokens
        return self.reused_tokens / total if total else 0.0

    def since(self, before: BackendStats) -> BackendStats:
        """What was counted between the snapshot ``before`` and now (``max_batch_rows`` as it is now)."""
        changes = {f.name: getattr(self, f.name) - getattr(before, f.name) for f in fields(self)}
        return replace(self, **{**changes, "max_batch_rows": self.max_batch_rows})

    def __add__(self, other: BackendStats) -> BackendStats:
        """Two spans' counters as one (the larger ``max_batch_rows``)."""
        total = {f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        return replace(self, **{**total, "max_batch_rows": max(self.max_batch_rows, other.max_batch_rows)})
