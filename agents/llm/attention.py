"""Scaled dot-product attention that keeps grouped-query attention grouped when there is a mask.

transformers' ``sdpa`` attention copies every key/value head ``n_rep`` times (``repeat_kv``) whenever a
query of more than one token comes with a mask, which is every prompt pass and every scored option
here (padding needs a mask). With SmolLM2's 9 query heads over 3 key/value heads and a 950-column
cache, that copy made 8-token option passes take ~4x longer than ``enable_gqa=True``, which PyTorch
computes without the copy and with identical results. Registered under its own name (with the
``sdpa`` mask builder) so only the models the backend switches to it use it.
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
    one_query = query.shape[2] == 1  # transformers folds the heads into groups itself then (``pack_gqa``)
    if one_query or attention_mask is None or kwargs.get("position_bias") is not None or kwargs.get("softcap"):
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


def use_grouped_sdpa(model: PreTrainedModel) -> None:
    """Switch a model on ``sdpa`` attention to :func:`sdpa_gqa_forward`; any other implementation stays."""
    if model.config._attn_implementation != "sdpa":
        return
    AttentionInterface.register(NAME, sdpa_gqa_forward)
    AttentionMaskInterface.register(NAME, sdpa_mask)
    model.set_attn_implementation(NAME)
