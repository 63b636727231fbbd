"""The backend's attention equals plain attention written out: query heads folded onto their key/value
head, with or without a padding mask, one query per row (decoding) or many (prompts, scored options),
on the fused kernel and on the matrix-product path that CPU passes with a mask take."""

from __future__ import annotations

import pytest
import torch

from agents.llm.attention import one_query_attention, product_attention, products_win, sdpa_gqa_forward


def reference(query, key, value, mask, scale) -> torch.Tensor:
    """float64 attention with each key/value head repeated for its query heads; [B, Q, heads, dim]."""
    groups = query.shape[1] // key.shape[1]
    k = key.double().repeat_interleave(groups, dim=1)
    v = value.double().repeat_interleave(groups, dim=1)
    scores = query.double() @ k.transpose(-1, -2) * scale  # [B, heads, Q, kv]
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return (torch.softmax(scores, dim=-1) @ v).transpose(1, 2)


def inputs(rows, heads, kv_heads, queries, columns, dtype, seed=0):
    generator = torch.Generator().manual_seed(seed * 7919 + rows * 1000 + columns)
    query = torch.randn(rows, queries, heads, 16, generator=generator).to(dtype).transpose(1, 2)  # as transformers
    key, value = (torch.randn(rows, kv_heads, columns, 16, generator=generator).to(dtype) for _ in range(2))
    return query, key, value


def padded_causal_mask(rows, queries, columns) -> torch.Tensor:
    """Left padding of a different width per row, then causal over the last ``queries`` columns."""
    start = torch.arange(rows).view(rows, 1, 1, 1) * 3 % (columns - queries + 1)
    column = torch.arange(columns).view(1, 1, 1, columns)
    position = torch.arange(columns - queries, columns).view(1, 1, queries, 1)
    return (column >= start) & (column <= position)


TOLERANCE = {torch.float32: 1e-5, torch.bfloat16: 2e-2}


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize(("rows", "columns"), [(1, 40), (3, 50), (8, 519)])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize(("heads", "kv_heads"), [(9, 3), (4, 4)])
def test_one_query_attention_equals_attention_written_out(dtype, rows, columns, masked, heads, kv_heads):
    query, key, value = inputs(rows, heads, kv_heads, 1, columns, dtype)
    mask = padded_causal_mask(rows, 1, columns) if masked else None
    expected = reference(query, key, value, mask, 0.25)
    out = one_query_attention(query, key, value, mask, 0.25)
    assert out.shape == (rows, 1, heads, 16) and out.dtype == dtype
    assert torch.allclose(out.double(), expected, atol=TOLERANCE[dtype])
    if masked:
        out = product_attention(query, key, value, mask, 0.25)
        assert out.shape == (rows, 1, heads, 16) and out.dtype == dtype
        assert torch.allclose(out.double(), expected, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize(("rows", "queries", "columns"), [(1, 5, 5), (3, 7, 60), (5, 32, 300)])
@pytest.mark.parametrize(("heads", "kv_heads"), [(9, 3), (4, 4), (4, 1)])
def test_product_attention_of_many_queries_equals_attention_written_out(dtype, rows, queries, columns, heads, kv_heads):
    query, key, value = inputs(rows, heads, kv_heads, queries, columns, dtype)
    mask = padded_causal_mask(rows, queries, columns)
    out = product_attention(query, key, value, mask, None)
    assert out.shape == (rows, queries, heads, 16) and out.dtype == dtype
    assert torch.allclose(out.double(), reference(query, key, value, mask, 16**-0.5), atol=TOLERANCE[dtype])


def test_an_additive_mask_counts_like_a_boolean_one():
    query, key, value = inputs(8, 9, 3, 4, 500, torch.bfloat16)
    allowed = torch.rand(8, 1, 4, 500, generator=torch.Generator().manual_seed(7)) > 0.3
    for lowest in (float("-inf"), torch.finfo(torch.float32).min):  # -inf, or a float32 mask's minimum
        additive = torch.zeros(allowed.shape).masked_fill(~allowed, lowest)
        assert torch.equal(
            product_attention(query, key, value, allowed, None), product_attention(query, key, value, additive, None)
        )


def test_a_query_row_masked_everywhere_stays_finite():
    """A left pad of a row with no past may attend nowhere; NaN there would reach the cache."""
    query, key, value = inputs(2, 9, 3, 6, 6, torch.bfloat16)
    mask = padded_causal_mask(2, 6, 6)
    mask[1, :, :2] = False  # row 1's first two positions are pads: nothing to attend to
    out = product_attention(query, key, value, mask, None)
    assert torch.isfinite(out).all()
    assert torch.allclose(out[1, 2:].double(), reference(query, key, value, mask, 0.25)[1, 2:], atol=2e-2)


def test_each_mask_gets_its_own_bias():
    """The bias is kept from layer to layer for the same mask tensor only: a new mask, even of the same
    shape, is read afresh."""
    query, key, value = inputs(4, 9, 3, 3, 40, torch.float32)
    first = padded_causal_mask(4, 3, 40)
    second = first.clone()
    second[:, :, :, :20] = False
    for mask in (first, second, first.clone()):
        out = product_attention(query, key, value, mask, None)
        assert torch.allclose(out.double(), reference(query, key, value, mask, 0.25), atol=1e-5)


def test_passes_take_the_path_measured_faster_on_cpu():
    one = torch.zeros(8, 9, 1, 64)
    many = torch.zeros(8, 9, 32, 64)
    keys = torch.zeros(8, 3, 544, 64)
    assert products_win(one, keys) and products_win(one.bfloat16(), keys.bfloat16())
    assert products_win(many.bfloat16(), keys.bfloat16())
    assert not products_win(many, keys)  # float32 prompt passes: the fused kernel is as fast
    assert not products_win(torch.zeros(4, 9, 2048, 64).bfloat16(), torch.zeros(4, 3, 2048, 64).bfloat16())


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("queries", [1, 6])
def test_the_registered_attention_returns_transformers_layout(dtype, queries):
    query, key, value = inputs(3, 9, 3, queries, 30, dtype)
    mask = padded_causal_mask(3, queries, 30)
    out, weights = sdpa_gqa_forward(torch.nn.Module(), query, key, value, mask, scaling=0.25)
    assert weights is None and out.shape == (3, queries, 9, 16) and out.is_contiguous()
    assert torch.allclose(out.double(), reference(query, key, value, mask, 0.25), atol=TOLERANCE[dtype])
