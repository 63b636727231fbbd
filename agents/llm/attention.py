"""Scaled dot-product attention that keeps grouped-query attention grouped, and runs CPU passes with a
padding mask as matrix products around a softmax.

transformers' ``sdpa`` attention copies every key/value head ``n_rep`` times (``repeat_kv``) whenever a
query of more than one token comes with a mask, which is every prompt pass and every scored option
here (padding needs a mask). With SmolLM2's 9 query heads over 3 key/value heads and a 950-column
cache, that copy made 8-token option passes take ~4x longer than ``enable_gqa=True``. Registered under
its own name (with the ``sdpa`` mask builder) so only the models the backend switches to it use it.

Each key/value head serves its group of query heads as one matrix: the heads' queries are stacked
(``[B, 9, Q, 64]`` -> ``[B * 3, 3 * Q, 64]``, as transformers' ``pack_gqa`` folds them), so a pass is
two batched matrix products, keys read once per group. On CPU, passes with a mask run that way
(:func:`product_attention`): the mask becomes an additive bias once per forward pass (every layer gets
the same mask tensor), which ``baddbmm`` adds while it multiplies. PyTorch's fused CPU kernel is
slower at these shapes (bfloat16, 29 rows x 680 columns, 30 layers: 45 ms fused, 24 ms with a
per-layer ``torch.where`` mask, 15 ms with the bias; prompt passes of 8 rows x 32 tokens x 544
columns: 81 vs 48 ms; ``benchmarks/README.md``, eighth round). float32 gains too for one query per
row (44 vs 34 ms) but not for prompt passes, which keep the fused kernel; so do other devices and
passes without a mask (:func:`one_query_attention`: without folding, transformers took
``enable_gqa``, which on CPU in bfloat16 made a 1,400-column step 64 ms instead of 43).
"""

from __future__ import annotations

import threading

import torch
from transformers import AttentionInterface, AttentionMaskInterface, PreTrainedModel
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import sdpa_mask

NAME = "latent_arena_sdpa_gqa"

PRODUCT_MAX_CELLS = 1 << 23
"""Largest bias (rows x heads x queries x columns) a multi-query pass builds: above it the fused
kernel's blocking, which never holds all the scores at once, is the better deal."""


def sdpa_gqa_forward(
    module: torch.nn.Module,
    query: torch.Tensor,  # [B, heads, q, head_dim]
    key: torch.Tensor,  # [B, kv_heads, kv, head_dim]
    value: torch.Tensor,  # [B, kv_heads, kv, head_dim]
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs,
) -> tuple[torch.Tensor, None]:
    plain = kwargs.get("position_bias") is None and not kwargs.get("softcap") and not dropout
    grouped = query.shape[1] % key.shape[1] == 0
    one_row_mask = attention_mask is None or attention_mask.shape[1] == 1  # the same for every head
    if plain and grouped and attention_mask is not None and one_row_mask and products_win(query, key):
        return product_attention(query, key, value, attention_mask, scaling), None
    if plain and grouped and query.shape[2] == 1 and one_row_mask:
        return one_query_attention(query, key, value, attention_mask, scaling), None
    if attention_mask is None or not plain:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout, scaling, is_causal, **kwargs)
    out = torch.nn.functional.scaled_dot_product_attention(
        query,
        key,
        value,
        attn_mask=attention_mask,
        dropout_p=dropout,
        scale=scaling,
        enable_gqa=query.shape[1] != key.shape[1],
    )  # [B, heads, q, head_dim]
    return out.transpose(1, 2).contiguous(), None


def products_win(query: torch.Tensor, key: torch.Tensor) -> bool:
    """Whether a masked pass runs faster as :func:`product_attention` than on the fused kernel (measured
    on CPU, see the module text): every decoding step; prompt and option passes in bfloat16/float16
    whose bias stays under :data:`PRODUCT_MAX_CELLS`."""
    if query.device.type != "cpu":
        return False
    rows, heads, queries, _ = query.shape
    if queries == 1:
        return True
    low_precision = query.dtype in (torch.bfloat16, torch.float16)
    return low_precision and rows * heads * queries * key.shape[2] <= PRODUCT_MAX_CELLS


def product_attention(
    query: torch.Tensor,  # [B, heads, Q, head_dim]
    key: torch.Tensor,  # [B, kv_heads, kv, head_dim]
    value: torch.Tensor,  # [B, kv_heads, kv, head_dim]
    mask: torch.Tensor,  # [B or 1, 1, Q, kv]: boolean (True: attend) or additive
    scaling: float | None,
) -> torch.Tensor:
    """Attention as ``softmax(bias + scale * Q K^T) V`` per key/value head, its query heads stacked;
    returns ``[B, Q, heads, head_dim]``. A query that may attend nowhere (a pad) gets the mean of the
    values, not NaN: a NaN would reach the cache and, times a zero weight, every row that reads it."""
    rows, heads, queries, dim = query.shape
    kv_heads, columns = key.shape[1], key.shape[2]
    groups = heads // kv_heads
    folded = query.reshape(rows * kv_heads, groups * queries, dim)  # head kv*G+g -> rows g*Q.. of kv's matrix
    bias = _bias(mask, rows, kv_heads, groups, query.dtype)  # [B * kv_heads, G * Q, kv]
    scale = dim**-0.5 if scaling is None else scaling
    keys = key.reshape(rows * kv_heads, columns, dim)
    scores = torch.baddbmm(bias, folded, keys.transpose(1, 2), alpha=scale)
    # softmax accumulates in float32 for a bfloat16 input; its weights are rounded once, as for the product
    out = torch.bmm(torch.softmax(scores, dim=-1), value.reshape(rows * kv_heads, columns, dim))
    return out.view(rows, heads, queries, dim).transpose(1, 2).contiguous()


_last = threading.local()  # the last mask a thread turned into a bias, and the bias


def _bias(mask: torch.Tensor, rows: int, kv_heads: int, groups: int, dtype: torch.dtype) -> torch.Tensor:
    """``mask`` as an additive bias laid out like the stacked queries, ``[rows * kv_heads, groups * Q,
    kv]``. Every layer of a forward pass gets the same mask tensor, so the bias is built once per pass:
    the last one is kept with the mask it came from (held, so no other tensor can take its identity)."""
    layout = (rows, kv_heads, groups, dtype)
    held = getattr(_last, "bias", None)
    if held is not None and held[0] is mask and held[1] == layout:
        return held[2]
    lowest = torch.finfo(dtype).min  # finite: a row masked everywhere gets equal weights, not NaN
    if mask.dtype == torch.bool:
        bias = torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill_(~mask, lowest)
    else:  # additive; -inf (or a float32 minimum, -inf in bfloat16) clamped to the dtype's lowest
        bias = mask.clamp(min=lowest).to(dtype)
    _, _, queries, columns = mask.shape
    bias = bias.unsqueeze(1).expand(rows, kv_heads, groups, queries, columns)
    bias = bias.reshape(rows * kv_heads, groups * queries, columns)
    _last.bias = (mask, layout, bias)
    return bias


def one_query_attention(
    query: torch.Tensor,  # [B, heads, 1, head_dim]
    key: torch.Tensor,  # [B, kv_heads, kv, head_dim]
    value: torch.Tensor,  # [B, kv_heads, kv, head_dim]
    mask: torch.Tensor | None,  # [B, 1, 1, kv]: boolean (True: attend) or additive; None: attend to all
    scaling: float | None,
) -> torch.Tensor:
    """Attention of one query per row on the fused kernel, each key/value head serving its group of
    query heads without copies; returns ``[B, 1, heads, head_dim]``."""
    rows, heads, _, dim = query.shape
    folded = query.view(rows, key.shape[1], heads // key.shape[1], dim)  # [B, kv_heads, group, head_dim]
    scale = dim**-0.5 if scaling is None else scaling
    out = torch.nn.functional.scaled_dot_product_attention(folded, key, value, attn_mask=mask, scale=scale)
    return out.reshape(rows, 1, heads, dim)


def use_grouped_sdpa(model: PreTrainedModel) -> None:
    """Switch a model on ``sdpa`` attention to :func:`sdpa_gqa_forward`; any other implementation stays."""
    if model.config._attn_implementation != "sdpa":
        return
    AttentionInterface.register(NAME, sdpa_gqa_forward)
    AttentionMaskInterface.register(NAME, sdpa_mask)
    model.set_attn_implementation(NAME)
