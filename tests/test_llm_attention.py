"""The backend's attention for one query per row (a decoding step) equals plain attention written out:
query heads folded onto their key/value head, with or without a padding mask, on the fused kernel and
on the matrix-product path that bfloat16 takes for large steps on CPU."""

from __future__ import annotations

import pytest
import torch

from agents.llm.attention import MATMUL_MIN_CELLS, one_query_attention


def reference(query, key, value, mask, scale) -> torch.Tensor:
    """float64 attention with each key/value head repeated for its query heads; [B, 1, heads, dim]."""
    groups = query.shape[1] // key.shape[1]
    k = key.double().repeat_interleave(groups, dim=1)
    v = value.double().repeat_interleave(groups, dim=1)
    scores = query.double() @ k.transpose(-1, -2) * scale  # [B, heads, 1, kv]
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return (torch.softmax(scores, dim=-1) @ v).transpose(1, 2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize(("rows", "columns"), [(1, 40), (3, 50), (8, MATMUL_MIN_CELLS // 8 + 7)])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize(("heads", "kv_heads"), [(9, 3), (4, 4)])
def test_one_query_attention_equals_attention_written_out(dtype, rows, columns, masked, heads, kv_heads):
    generator = torch.Generator().manual_seed(rows * 1000 + columns)
    query = torch.randn(rows, heads, 1, 16, generator=generator).to(dtype)
    key, value = (torch.randn(rows, kv_heads, columns, 16, generator=generator).to(dtype) for _ in range(2))
    mask = None
    if masked:  # left padding of a different width per row
        start = torch.arange(rows).view(rows, 1, 1, 1) * 3 % columns
        mask = torch.arange(columns).view(1, 1, 1, columns) >= start
    out = one_query_attention(query, key, value, mask, 0.25)
    assert out.shape == (rows, 1, heads, 16) and out.dtype == dtype
    tolerance = 2e-2 if dtype == torch.bfloat16 else 1e-5
    assert torch.allclose(out.double(), reference(query, key, value, mask, 0.25), atol=tolerance)


def test_an_additive_mask_counts_like_a_boolean_one():
    generator = torch.Generator().manual_seed(7)
    query = torch.randn(8, 9, 1, 16, generator=generator).bfloat16()
    key, value = (torch.randn(8, 3, MATMUL_MIN_CELLS // 8, 16, generator=generator).bfloat16() for _ in range(2))
    allowed = torch.rand(8, 1, 1, MATMUL_MIN_CELLS // 8, generator=generator) > 0.3
    additive = torch.zeros(allowed.shape).masked_fill(~allowed, float("-inf")).bfloat16()
    assert torch.equal(
        one_query_attention(query, key, value, allowed, None), one_query_attention(query, key, value, additive, None)
    )
