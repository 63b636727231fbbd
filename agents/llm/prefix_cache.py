"""Automatic prefix caching: keep the KV cache of recent sequences and reuse the longest common prefix.

The idea is vLLM's automatic prefix caching (Kwon et al. 2023, "Efficient Memory Management for Large
Language Model Serving with PagedAttention") and SGLang's RadixAttention (Zheng et al. 2024): a new
request whose tokens start like an earlier one's needs attention keys and values only for the tokens
after the shared prefix. Werewolf makes this pay: each player's prompt is their previous prompt's
system text and history plus the events since, then the question.

An entry is one earlier sequence (a prompt, or a prompt and the reply tokens the model already
read) with its keys and values for every layer. :meth:`PrefixCache.lookup` returns the entry with
the longest common token prefix. Entries live in an LRU under a byte budget; an entry that a newer
one extended over at least half its length is *superseded* (its useful part lives on in the newer
entry) and is evicted before any live one, so a stale copy of a player's history never pushes out
another player's current one.

Everything runs in the backend's worker thread under its model lock; the cache keeps its own lock so
that reading :attr:`PrefixCache.nbytes` from another thread is safe too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from itertools import count

import torch

MIN_MATCH = 16
"""Shortest prefix worth reusing; entries are bucketed by their first ``MIN_MATCH`` tokens."""


@dataclass(eq=False)
class PrefixEntry:
    tokens: torch.Tensor  # [T] token ids
    kv: list[torch.Tensor]  # per layer: [2, kv_heads, T, head_dim] (keys, values)
    key: int = field(default_factory=count().__next__)  # insertion id, the LRU key

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.kv) + self.tokens.numel() * 8

    def __len__(self) -> int:
        return int(self.tokens.numel())


class PrefixCache:
    """LRU of :class:`PrefixEntry` under ``max_bytes``, superseded entries evicted first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self.evictions = 0
        self._live: OrderedDict[int, PrefixEntry] = OrderedDict()  # least recently used first
        self._stale: OrderedDict[int, PrefixEntry] = OrderedDict()  # superseded, oldest first
        self._buckets: dict[tuple[int, ...], dict[int, PrefixEntry]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._live) + len(self._stale)

    def lookup(self, ids: list[int]) -> tuple[PrefixEntry | None, int]:
        """The entry sharing the longest token prefix with ``ids`` and that prefix's length, capped at
        ``len(ids) - 1`` so that at least one token is left to run (its logits start the reply)."""
        if len(ids) <= MIN_MATCH:
            return None, 0
        with self._lock:
            bucket = self._buckets.get(tuple(ids[:MIN_MATCH]))
            if not bucket:
                return None, 0
            query = torch.tensor(ids, dtype=torch.long)
            best, best_length = None, 0
            for entry in bucket.values():
                length = _common_prefix(entry.tokens, query)
                if length > best_length:
                    best, best_length = entry, length
            assert best is not None
            self._touch(best)
            return best, min(best_length, len(ids) - 1)

    def insert(self, tokens: list[int], kv: list[torch.Tensor], source: PrefixEntry | None, reused: int) -> None:
        """Add the sequence ``tokens`` with its per-layer ``kv``. ``source`` is the entry it reused
        ``reused`` tokens of; if that covers at least half of ``source``, ``source`` is superseded."""
        if len(tokens) <= MIN_MATCH:
            return
        entry = PrefixEntry(torch.tensor(tokens, dtype=torch.long), kv)
        if entry.nbytes > self.max_bytes:
            return
        with self._lock:
            if source is not None and source.key in self._live and 2 * reused >= len(source):
                self._stale[source.key] = self._live.pop(source.key)
            self._live[entry.key] = entry
            self._buckets.setdefault(tuple(tokens[:MIN_MATCH]), {})[entry.key] = entry
            self.nbytes += entry.nbytes
            while self.nbytes > self.max_bytes:
                self._evict()

    def clear(self) -> None:
        with self._lock:
            self._live.clear()
            self._stale.clear()
            self._buckets.clear()
            self.nbytes = 0

    # ---- internals (lock held) -------------------------------------------------------------------
    def _touch(self, entry: PrefixEntry) -> None:
        """A hit makes an entry the most recently used live one, superseded or not."""
        self._stale.pop(entry.key, None)
        self._live[entry.key] = entry
        self._live.move_to_end(entry.key)

    def _evict(self) -> None:
        _, entry = (self._stale if self._stale else self._live).popitem(last=False)
        bucket_key = tuple(entry.tokens[:MIN_MATCH].tolist())
        bucket = self._buckets[bucket_key]
        del bucket[entry.key]
        if not bucket:
            del self._buckets[bucket_key]
        self.nbytes -= entry.nbytes
        self.evictions += 1


def _common_prefix(a: torch.Tensor, b: torch.Tensor) -> int:
    """Length of the longest common prefix of two 1-D token tensors."""
    n = min(a.numel(), b.numel())
    differs = (a[:n] != b[:n]).nonzero()
    return int(differs[0, 0]) if differs.numel() else n
