"""The KV cache of one padded batch: preallocated, seeded with cached prefixes, read back per row.

transformers' ``DynamicCache`` grows by ``torch.cat`` at every step, which copies the whole cache: with
32 rows of 700 tokens that copy took 65% of a decoding step on CPU. Here each layer takes its buffer
once, at the first forward pass, for every column the batch will ever use, and a step writes only its
new column. The buffers come from a :class:`BufferPool` that keeps them from batch to batch: a fresh
gigabyte per batch cost page faults and zeroing, where only the few columns that are read before any
pass writes them need zeros.

Row layout in a buffer of ``capacity`` columns (prefix caching, see :mod:`agents.llm.prefix_cache`).
The prompts' new tokens run in groups of similar length, group ``g`` in one pass of ``w_g`` columns
that ends at the prompts' end ``E``; row ``i`` of group ``g`` keeps its cached past right before them::

    [ pad | cached past (c_i) ][ pad | new suffix (s_i) ][ generated / option tokens ... ]
                   ends_i = E - w_g ---^                ^--- E

so the batch is ``E = max_g (w_g + max c_i in g)`` columns wide, not the longest past plus the longest
suffix (a row with a long past and a short suffix no longer widens every row by both). The attention
mask zeroes both pads and the position ids continue from ``c_i``, so a row computes what it would
alone (rotary or absolute positions alike). Scoring writes its option tokens after ``E``.

Decoding steps see the whole buffer (``focus(..., whole=True)``), as transformers' ``StaticCache``
does: keys and values of all ``capacity`` columns, the mask sizes counting all of them, and the causal
mask hiding the columns not yet written (they hold zeros). A step's keys are then one contiguous
tensor, where a ``[:length]`` view of a longer buffer is not, and bfloat16 matrix products on CPU copy
such views first: at 30 rows of 650 columns that copy was a fifth of a decoding step.
"""

from __future__ import annotations

import math

import torch
from transformers.cache_utils import Cache, DynamicLayer


class BufferPool:
    """One flat buffer per layer, reused by every batch and grown to the largest (the backend runs one
    batch at a time). Whatever a batch leaves in it is garbage to the next: :class:`_BufferLayer`
    overwrites or zeroes every column before it is read."""

    def __init__(self) -> None:
        self._flat: dict[int, torch.Tensor] = {}

    def take(self, layer: int, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        flat, size = self._flat.get(layer), math.prod(shape)
        if flat is None or flat.numel() < size or flat.dtype != like.dtype or flat.device != like.device:
            self._flat.pop(layer, None)  # free the smaller one before allocating
            flat = self._flat[layer] = like.new_empty(size)
        return flat[:size].view(shape)


class _BufferLayer(DynamicLayer):
    """One layer's keys and values in a ``[2, B, kv_heads, capacity, head_dim]`` buffer. A forward pass
    may cover a contiguous range of rows only (``rows``), writing from column ``length`` on."""

    def __init__(
        self,
        pasts: list[list[torch.Tensor] | None],
        ends: list[int],
        capacity: int,
        pool: BufferPool | None,
        index: int,
    ) -> None:
        super().__init__()
        # per row: the segments [2, kv_heads, *, head_dim] of its c_i past columns, copied in at the first update
        self.pasts = pasts
        self.ends = ends  # per row: the column after its past
        self.length = max(ends, default=0)  # where the next update writes; the mask sizes count from it
        self.capacity = capacity
        self.pool, self.index = pool, index
        self.rows = slice(None)
        self.whole = False  # passes see every column (decoding), not only the first ``length``
        self.buffer: torch.Tensor | None = None

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        # key_states, value_states: [rows, kv_heads, S, head_dim]
        if self.buffer is None:
            self._allocate(key_states)
        assert self.buffer is not None
        end = self.length + key_states.shape[-2]
        if end > self.capacity:
            raise RuntimeError(f"batch cache overflow: {end} columns > capacity {self.capacity}")
        self.buffer[0, self.rows, :, self.length : end] = key_states
        self.buffer[1, self.rows, :, self.length : end] = value_states
        self.focus(self.rows, end, self.whole)
        if self.whole:
            return self.buffer[0, self.rows], self.buffer[1, self.rows]
        return self.keys, self.values

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        if self.whole:
            return self.capacity, 0
        return super().get_mask_sizes(query_length)

    def _allocate(self, like: torch.Tensor) -> None:
        _, heads, _, dim = like.shape
        shape = (2, len(self.pasts), heads, self.capacity, dim)
        self.buffer = like.new_empty(shape) if self.pool is None else self.pool.take(self.index, shape, like)
        # the columns after the pasts: prompt passes write up to E, decoding steps after it; until then
        # they must hold finite numbers, since whole-buffer steps read them (masked)
        self.buffer[:, :, :, max(self.ends, default=0) :] = 0
        for row, (past, end) in enumerate(zip(self.pasts, self.ends, strict=True)):
            start = end - sum(segment.shape[-2] for segment in past or ())
            # masked columns still enter the attention sums (0 * NaN is NaN), so no leftover may stay there;
            # every column from ``end`` on is written by a pass before any pass reads it
            self.buffer[:, row, :, :start] = 0
            for segment in past or ():
                self.buffer[:, row, :, start : start + segment.shape[-2]] = segment
                start += segment.shape[-2]
        self.pasts = [None] * len(self.pasts)  # the buffer holds them now
        self.device, self.dtype, self.is_initialized = like.device, like.dtype, True

    def get_seq_length(self) -> int:
        return self.length

    def focus(self, rows: slice, length: int, whole: bool = False) -> None:
        """The next pass covers ``rows`` and writes from column ``length`` on (earlier columns stay);
        ``whole``: it sees all ``capacity`` columns."""
        self.rows, self.length, self.whole = rows, length, whole
        if self.buffer is not None:
            self.keys, self.values = self.buffer[0, rows, :, :length], self.buffer[1, rows, :, :length]

    def row(self, row: int, spans: list[tuple[int, int]]) -> torch.Tensor:
        """Row ``row``'s keys and values over the column ``spans``, as one new ``[2, kv_heads, T, head_dim]``."""
        assert self.buffer is not None
        return torch.cat([self.buffer[:, row, :, a:b] for a, b in spans], dim=-2)


class BatchCache(Cache):
    """A ``Cache`` of :class:`_BufferLayer` s. ``pasts[i]`` is row ``i``'s cached prefix or ``None``: per
    layer, the ``[2, kv_heads, *, head_dim]`` segments of its ``c_i`` columns in order (a prefix-cache
    entry's parent chain, :meth:`PrefixEntry.segments`), placed so that they end at column ``ends[i]``;
    ``capacity`` counts every column; ``pool`` lends the buffers (else each layer allocates its own)."""

    def __init__(
        self,
        n_layers: int,
        pasts: list[list[list[torch.Tensor]] | None],
        ends: list[int],
        capacity: int,
        pool: BufferPool | None = None,
    ) -> None:
        layers = [
            _BufferLayer([None if p is None else p[i] for p in pasts], ends, capacity, pool, i) for i in range(n_layers)
        ]
        super().__init__(layers=layers)

    def focus(self, rows: slice, length: int, whole: bool = False) -> None:
        """The next forward pass covers the rows ``rows`` only and writes from column ``length`` on: a
        group of prompts with shorter suffixes, or options after the same prompts. ``whole``: it sees
        all ``capacity`` columns, the unwritten ones masked (decoding steps)."""
        for layer in self.layers:
            layer.focus(rows, length, whole)

    def row(self, row: int, spans: list[tuple[int, int]]) -> list[torch.Tensor]:
        """Per layer, row ``row``'s keys and values over ``spans`` (a prefix-cache entry's ``kv``)."""
        return [layer.row(row, spans) for layer in self.layers]
