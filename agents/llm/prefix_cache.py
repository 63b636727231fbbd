"""Automatic prefix caching: keep the KV cache of recent sequences and reuse the longest common prefix.

The idea is vLLM's automatic prefix caching (Kwon et al. 2023, "Efficient Memory Management for Large
Language Model Serving with PagedAttention") and SGLang's RadixAttention (Zheng et al. 2024): a new
request whose tokens start like an earlier one's needs attention keys and values only for the tokens
after the shared prefix. Werewolf makes this pay: each player's prompt is their previous prompt's
system text and history plus the events since, then the question.

An entry is one earlier sequence (a prompt, or a prompt and the reply tokens the model already
read). It stores keys and values only for the tokens after the part it reused from an earlier entry,
its *parent*, and reads the rest through the parent chain, as vLLM's paged blocks and SGLang's radix
tree share a common prefix's cache between the sequences that extend it: a player's tenth prompt of a
game holds only what happened since the ninth. :meth:`PrefixCache.lookup` returns the entry with the
longest common token prefix. Entries live in an LRU under a byte budget that counts every resident
segment once; an entry that a newer one extended over at least half its length is *superseded* (its
useful part lives on in the newer entry) and leaves the index before any live one, so a stale copy of
a player's history never pushes out another player's current one. A segment's memory is returned when
its entry has left the index and no resident entry reads through it (a reference count).

The index finds the longest prefix without comparing the query with every entry (every Werewolf
prompt opens with the same system text, so a list of candidates by opening grew to every entry:
~12 ms a lookup at 1,100 entries). As in vLLM's prefix caching, a sequence is cut into blocks of
``MIN_MATCH`` tokens and block ``j`` is named by a hash chained over blocks ``0..j``; the index maps
each name to the entries that hold that whole block prefix. A lookup walks the query's blocks while
some entry holds them, then compares the deepest holders' next tokens one by one.

Everything runs in the backend's worker thread under its model lock; the cache keeps its own lock so
that reading :attr:`PrefixCache.nbytes` from another thread is safe too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count

import torch

MIN_MATCH = 16
"""Shortest prefix worth reusing, and the index's block length."""


MAX_DEPTH = 16
"""Longest parent chain: a deeper entry stores its whole sequence (reading a chain costs one copy per link)."""


@dataclass(eq=False)
class PrefixEntry:
    tokens: torch.Tensor  # [T] token ids
    kv: list[torch.Tensor]  # per layer: [2, kv_heads, T - base, head_dim] (keys, values) of tokens base..T-1
    parent: PrefixEntry | None = None  # holds tokens 0..base-1 (through its own chain)
    base: int = 0
    key: int = field(default_factory=count().__next__)  # insertion id, the LRU key
    refs: int = 1  # the index's reference plus one per resident child
    depth: int = 0  # links in the parent chain
    blocks: list[int] = field(default_factory=list)  # chained hashes of its whole MIN_MATCH-token blocks

    @property
    def nbytes(self) -> int:
        """Bytes this entry adds: its own segment and its token ids (the parent's are counted there)."""
        return sum(t.numel() * t.element_size() for t in self.kv) + self.tokens.numel() * 8

    def __len__(self) -> int:
        return int(self.tokens.numel())

    def segments(self, n: int) -> list[list[torch.Tensor]]:
        """Keys and values of tokens ``0..n-1`` as per-layer lists of consecutive segments, oldest first."""
        chain: list[list[torch.Tensor]] = []
        entry, upto = self, n
        while entry is not None and upto > 0:
            if upto > entry.base:
                chain.append([kv[:, :, : upto - entry.base] for kv in entry.kv])
            entry, upto = entry.parent, min(upto, entry.base)
        chain.reverse()
        return [list(layer) for layer in zip(*chain, strict=True)]


class PrefixCache:
    """LRU of :class:`PrefixEntry` under ``max_bytes``, superseded entries evicted first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self.evictions = 0
        self._live: OrderedDict[int, PrefixEntry] = OrderedDict()  # least recently used first
        self._stale: OrderedDict[int, PrefixEntry] = OrderedDict()  # superseded, oldest first
        self._holders: dict[int, dict[int, PrefixEntry]] = {}  # block-prefix hash -> entries holding it
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._live) + len(self._stale)

    def lookup(self, ids: list[int]) -> tuple[PrefixEntry | None, int]:
        """The entry sharing the longest token prefix with ``ids`` and that prefix's length, capped at
        ``len(ids) - 1`` so that at least one token is left to run (its logits start the reply)."""
        if len(ids) <= MIN_MATCH:
            return None, 0
        with self._lock:
            holders, depth = None, 0
            for name in _block_hashes(ids):  # the deepest block prefix some entry holds
                deeper = self._holders.get(name)
                if not deeper:
                    break
                holders, depth = deeper, depth + MIN_MATCH
            if holders is None:
                return None, 0
            best, best_length, after = None, 0, ids[depth : depth + MIN_MATCH]
            for entry in holders.values():  # each holds the blocks: how far into the next one?
                length = depth + common_prefix(entry.tokens[depth : depth + MIN_MATCH].tolist(), after)
                if length > best_length:
                    best, best_length = entry, length
            assert best is not None
            if best.tokens[:best_length].tolist() != ids[:best_length]:  # a hash collision: no match
                return None, 0
            self._touch(best)
            return best, min(best_length, len(ids) - 1)

    def insert(self, tokens: list[int], kv: list[torch.Tensor], source: PrefixEntry | None, reused: int) -> None:
        """Add the sequence ``tokens``. ``source`` is the entry it reused ``reused`` tokens of; ``kv`` holds
        per layer the keys and values of ``tokens[reused:]`` when there is a source, else of all of them.
        The entry reads its first ``reused`` tokens through ``source`` (or copies them, past ``MAX_DEPTH``
        links); if that covers at least half of ``source``, ``source`` is superseded."""
        if len(tokens) <= MIN_MATCH:
            return
        parent = source if source is not None and reused > 0 else None
        if parent is not None and parent.depth >= MAX_DEPTH:
            kv = [torch.cat([*head, own], dim=-2) for head, own in zip(parent.segments(reused), kv, strict=True)]
            parent = None
        base = reused if parent is not None else 0
        depth = parent.depth + 1 if parent is not None else 0
        entry = PrefixEntry(torch.tensor(tokens, dtype=torch.long), kv, parent, base, depth=depth)
        entry.blocks = _block_hashes(tokens)
        if entry.nbytes > self.max_bytes:
            return
        with self._lock:
            if source is not None and source.key in self._live and 2 * reused >= len(source):
                self._stale[source.key] = self._live.pop(source.key)
            self._retain(parent)
            self._live[entry.key] = entry
            for name in entry.blocks:
                self._holders.setdefault(name, {})[entry.key] = entry
            self.nbytes += entry.nbytes
            while self.nbytes > self.max_bytes and (self._live or self._stale):
                self._evict()

    def clear(self) -> None:
        with self._lock:
            self._live.clear()
            self._stale.clear()
            self._holders.clear()
            self.nbytes = 0

    # ---- internals (lock held) -------------------------------------------------------------------
    def _touch(self, entry: PrefixEntry) -> None:
        """A hit makes an entry the most recently used live one, superseded or not."""
        self._stale.pop(entry.key, None)
        self._live[entry.key] = entry
        self._live.move_to_end(entry.key)

    def _evict(self) -> None:
        _, entry = (self._stale if self._stale else self._live).popitem(last=False)
        for name in entry.blocks:
            holders = self._holders[name]
            del holders[entry.key]
            if not holders:
                del self._holders[name]
        self.evictions += 1
        self._release(entry)

    def _release(self, entry: PrefixEntry | None) -> None:
        """Drop one reference; an entry nobody reads any more returns its bytes, and its parent a reference."""
        while entry is not None:
            entry.refs -= 1
            if entry.refs > 0:
                return
            self.nbytes -= entry.nbytes
            entry = entry.parent

    def _retain(self, entry: PrefixEntry | None) -> None:
        """Add a child's reference. A source released while its batch ran (an insert of that batch
        evicted it) is resident again: its segment still exists, and the new entry reads through it."""
        while entry is not None:
            entry.refs += 1
            if entry.refs > 1:
                return
            self.nbytes += entry.nbytes
            entry = entry.parent


def _block_hashes(ids: list[int]) -> list[int]:
    """Per whole block of ``MIN_MATCH`` tokens, a hash of every token up to its end (chained)."""
    names, name = [], 0
    for start in range(0, len(ids) - MIN_MATCH + 1, MIN_MATCH):
        name = hash((name, *ids[start : start + MIN_MATCH]))
        names.append(name)
    return names


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
