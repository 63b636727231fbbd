"""The KV cache of one padded batch: preallocated, seeded with cached prefixes, read back per row.

transformers' ``DynamicCache`` grows by ``torch.cat`` at every step, which copies the whole cache: with
32 rows of 700 tokens that copy took 65% of a decoding step on CPU. Here each layer allocates its
buffer once, at the first forward pass, for every column the batch will ever use, and a step writes
only its new column.

Row layout in a buffer of ``capacity`` columns (prefix caching, see :mod:`agents.llm.prefix_cache`)::

    [ pad | cached past (c_i) ][ pad | new suffix (s_i) ][ generated / option tokens ... ]
    <-------- width P -------><-------- width S -------->

The past is right-aligned in the first ``P`` columns and the new tokens of the first forward pass in
the next ``S``; the attention mask zeroes both pads and the position ids continue from ``c_i``, so a
row computes what it would alone (rotary or absolute positions alike). Scoring reuses the columns after
the prompt for one option after another (:meth:`BatchCache.rewind`).
"""

from __future__ import annotations

import torch
from transformers.cache_utils import Cache, DynamicLayer


class _BufferLayer(DynamicLayer):
    """One layer's keys and values in a ``[2, B, kv_heads, capacity, head_dim]`` buffer. A forward pass
    may cover a contiguous range of rows only (``rows``), writing from column ``length`` on."""

    def __init__(self, pasts: list[torch.Tensor | None], width: int, capacity: int) -> None:
        super().__init__()
        self.pasts = pasts  # per row: [2, kv_heads, c_i, head_dim] or None, copied in at the first update
        self.width = width  # columns of the right-aligned pasts
        self.length = width  # where the next update writes; the mask sizes count from it
        self.capacity = capacity
        self.rows = slice(None)
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
        self.focus(self.rows, end)
        return self.keys, self.values

    def _allocate(self, like: torch.Tensor) -> None:
        _, heads, _, dim = like.shape
        self.buffer = like.new_zeros((2, len(self.pasts), heads, self.capacity, dim))
        for row, past in enumerate(self.pasts):
            if past is not None:
                self.buffer[:, row, :, self.width - past.shape[-2] : self.width] = past
        self.pasts = [None] * len(self.pasts)  # the buffer holds them now
        self.device, self.dtype, self.is_initialized = like.device, like.dtype, True

    def get_seq_length(self) -> int:
        return self.length

    def focus(self, rows: slice, length: int) -> None:
        """The next pass covers ``rows`` and writes from column ``length`` on (earlier columns stay)."""
        self.rows, self.length = rows, length
        if self.buffer is not None:
            self.keys, self.values = self.buffer[0, rows, :, :length], self.buffer[1, rows, :, :length]

    def row(self, row: int, spans: list[tuple[int, int]]) -> torch.Tensor:
        """Row ``row``'s keys and values over the column ``spans``, as one new ``[2, kv_heads, T, head_dim]``."""
        assert self.buffer is not None
        return torch.cat([self.buffer[:, row, :, a:b] for a, b in spans], dim=-2)


class BatchCache(Cache):
    """A ``Cache`` of :class:`_BufferLayer` s. ``pasts[i]`` is row ``i``'s cached prefix (a list of
    per-layer ``[2, kv_heads, c_i, head_dim]`` tensors) or ``None``; ``capacity`` counts every column."""

    def __init__(self, n_layers: int, pasts: list[list[torch.Tensor] | None], capacity: int) -> None:
        width = max((p[0].shape[-2] for p in pasts if p is not None), default=0)
        layers = [_BufferLayer([None if p is None else p[i] for p in pasts], width, capacity) for i in range(n_layers)]
        super().__init__(layers=layers)

    def focus(self, rows: slice, length: int) -> None:
        """The next forward pass covers the rows ``rows`` only and writes from column ``length`` on: a
        group of prompts with shorter suffixes, or another option after the same prompts (a rewind)."""
        for layer in self.layers:
            layer.focus(rows, length)

    def row(self, row: int, spans: list[tuple[int, int]]) -> list[torch.Tensor]:
        """Per layer, row ``row``'s keys and values over ``spans`` (a prefix-cache entry's ``kv``)."""
        return [layer.row(row, spans) for layer in self.layers]
