"""Scaled dot-product attention that keeps grouped-query attention grouped when there is a mask.

transformers' ``sdpa`` attention copies every key/value head ``n_rep`` times (``repeat_kv``) whenever a
query of more than one token comes with a mask, which is every prompt pass and every scored option
here (padding needs a mask). With SmolLM2's 9 query heads over 3 key/value heads and a 950-column
cache, that copy made 8-token option passes take ~4x longer than ``enable_gqa=True``, which PyTorch
computes without the copy and with identical results. Registered under its own name (with the
``sdpa`` mask builder) so only the models the backend switches to it use it.

A decoding step has one query per row. Its query heads are folded onto their key/value head (``[B, 9, 1,
64]`` -> ``[B, 3, 3, 64]``, as transformers' ``pack_gqa`` does when there is a mask) whether or not a mask
comes: without one (a lone row with no padding) transformers took ``enable_gqa``, which on CPU in
bfloat16 made a 1,400-column step 64 ms instead of 43. On CPU in bfloat16 or float16 with many rows
and columns, the step runs as two matrix products around a softmax instead of the fused SDPA
kernel, which is ~1.3x slower there (22 rows x 1,000 columns: 52 vs 35 ms for 30 layers;
``benchmarks/README.md``, seventh round); the fused kernel stays for small steps and other dtypes.
"""

from __future__ import annotations

import torch
from transformers import AttentionInterface, AttentionMaskInterface, PreTrainedModel
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import sdpa_mask

NAME = "latent_arena_sdpa_gqa"


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
    one_row_mask = attention_mask is None or attention_mask.shape[1] == 1  # the same for every head
    if plain and query.shape[2] == 1 and one_row_mask and query.shape[1] % key.shape[1] == 0:
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


MATMUL_MIN_CELLS = 4096
"""Rows x columns from which a bfloat16/float16 CPU decoding step runs as matrix products (see above)."""


def one_query_attention(
    query: torch.Tensor,  # [B, heads, 1, head_dim]
    key: torch.Tensor,  # [B, kv_heads, kv, head_dim]
    value: torch.Tensor,  # [B, kv_heads, kv, head_dim]
    mask: torch.Tensor | None,  # [B, 1, 1, kv]: boolean (True: attend) or additive; None: attend to all
    scaling: float | None,
) -> torch.Tensor:
    """Attention of one query per row, each key/value head serving its group of query heads without
    copies; returns ``[B, 1, heads, head_dim]``."""
    rows, heads, _, dim = query.shape
    kv_heads, columns = key.shape[1], key.shape[2]
    folded = query.view(rows, kv_heads, heads // kv_heads, dim)  # [B, kv_heads, group, head_dim]
    scale = dim**-0.5 if scaling is None else scaling
    low_precision = key.dtype in (torch.bfloat16, torch.float16)
    if key.device.type == "cpu" and low_precision and rows * columns >= MATMUL_MIN_CELLS:
        # keys times queries, not queries times transposed keys: the cache's own layout is the fast one
        scores = torch.matmul(key, (folded * scale).transpose(-1, -2)).transpose(-1, -2)  # [B, kv, group, kv_len]
        if mask is not None and mask.dtype == torch.bool:
            scores = torch.where(mask, scores, float("-inf"))
        elif mask is not None:  # an additive mask
            scores = scores + mask
        # softmax accumulates in float32 for a bfloat16 input; its weights are rounded once, as for the product
        out = torch.matmul(torch.softmax(scores, dim=-1), value)  # [B, kv_heads, group, head_dim]
    else:
        out = torch.nn.functional.scaled_dot_product_attention(folded, key, value, attn_mask=mask, scale=scale)
    return out.reshape(rows, 1, heads, dim)


def use_grouped_sdpa(model: PreTrainedModel) -> None:
    """Switch a model on ``sdpa`` attention to :func:`sdpa_gqa_forward`; any other implementation stays."""
    if model.config._attn_implementation != "sdpa":
        return
    AttentionInterface.register(NAME, sdpa_gqa_forward)
    AttentionMaskInterface.register(NAME, sdpa_mask)
    model.set_attn_implementation(NAME)
