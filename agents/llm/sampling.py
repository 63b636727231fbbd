"""Choosing each row's next token from its logits: greedy, or temperature and nucleus sampling.

Nucleus (top-p) sampling is Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration". Each
row draws with its own ``torch.Generator``, seeded from its request, so a reply depends on its seed and
prompt and not on the other rows of its batch.
"""

from __future__ import annotations

import torch

from agents.llm.backend import Sampling

NUCLEUS_SCAN = 64
"""Candidates looked at first for nucleus sampling; a row whose nucleus is wider sorts its whole vocabulary."""


def sample_rows(
    logits: torch.Tensor, settings: list[Sampling], generators: list[torch.Generator], done: list[bool], pad: int
) -> list[int]:
    """One token per row of ``logits`` [B, V]: greedy at temperature 0, else temperature + nucleus (top-p)
    sampling with the row's own generator; ``pad`` for finished rows. The softmax and the scan of the top
    candidates run on all sampled rows at once; only the draw is per row (one generator per row)."""
    tokens = [pad] * len(settings)
    greedy = [i for i, s in enumerate(settings) if not done[i] and s.temperature <= 0]
    sampled = [i for i, s in enumerate(settings) if not done[i] and s.temperature > 0]
    if greedy:
        for i, t in zip(greedy, logits[greedy].argmax(-1).tolist(), strict=True):
            tokens[i] = t
    if not sampled:
        return tokens
    temperature = torch.tensor([settings[i].temperature for i in sampled]).unsqueeze(-1)  # [R, 1]
    probs = torch.softmax(logits[sampled].float() / temperature, dim=-1)  # [R, V]
    top, order = probs.topk(min(NUCLEUS_SCAN, probs.shape[-1]), dim=-1)  # [R, K], descending
    before = top.cumsum(-1) - top  # [R, K]: the mass of the more likely candidates
    for r, i in enumerate(sampled):
        top_p = settings[i].top_p
        if top_p >= 1.0:
            tokens[i] = int(torch.multinomial(probs[r], 1, generator=generators[i]))
            continue
        row_top, row_order, keep = top[r], order[r], before[r] < top_p  # always keeps the top token
        if keep[-1]:  # the nucleus may reach past the scanned candidates
            row_top, row_order = probs[r].sort(descending=True)
            keep = row_top.cumsum(-1) - row_top < top_p
        pick = torch.multinomial(row_top[keep], 1, generator=generators[i])
        tokens[i] = int(row_order[keep][pick])
    return tokens
