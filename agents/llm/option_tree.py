"""Score every option of a prompt in one forward pass: the options as a token tree, one mask per tree.

Likelihood choice scores each legal answer after the same prompt, and the answers mostly differ in a
token or two: ``{"action": "player_3"}`` and ``{"action": "player_5"}`` share their first six tokens.
Running each option as its own sequence runs the shared tokens once per option, one pass per option.
Instead the options of one prompt become a trie, laid out in the cache columns after the prompt; each
node attends to the prompt and to its own ancestors only (a 4-D attention mask) and takes the position
after its parent, so it computes exactly what it would at the end of its own sequence. This is the
token-tree attention of speculative decoding (Miao et al. 2024, "SpecInfer: Accelerating Large
Language Model Serving with Tree-based Speculative Inference and Verification"), used here to score
known continuations rather than to verify guessed ones.

Nodes with children come first in the layout, so the model only computes logits for those
(``logits_to_keep``): a leaf's next-token distribution is never needed. The mask is additive (0 or the
dtype's minimum), which the ``eager`` and ``sdpa`` attention implementations take as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class OptionTree:
    """The options of one prompt as a trie. Nodes ``[0, inner)`` have children; a parent comes before
    its children, so path sums can be read in node order."""

    tokens: list[int]  # per node: its token
    parents: list[int]  # per node: its parent node, or -1 for a child of the prompt
    depths: list[int]  # per node: tokens between the prompt's end and it (0 for a child of the prompt)
    ends: list[int]  # per option: its last node, or -1 for an empty option
    inner: int  # nodes with children

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def build(cls, options: Sequence[Sequence[int]]) -> OptionTree:
        children: list[dict[int, int]] = [{}]  # per node (0: the prompt), child node by token
        tokens, parents, ends = [-1], [-1], []
        for option in options:
            node = 0
            for token in option:
                if token not in children[node]:
                    children[node][token] = len(tokens)
                    children.append({})
                    tokens.append(token)
                    parents.append(node)
                node = children[node][token]
            ends.append(node)
        # creation order puts parents first; a stable sort puts inner nodes before leaves and keeps that
        order = sorted(range(1, len(tokens)), key=lambda n: not children[n])
        index = {0: -1} | {n: i for i, n in enumerate(order)}
        new_parents = [index[parents[n]] for n in order]
        depths: list[int] = []
        for p in new_parents:
            depths.append(0 if p < 0 else depths[p] + 1)
        return cls(
            tokens=[tokens[n] for n in order],
            parents=new_parents,
            depths=depths,
            ends=[index[n] for n in ends],
            inner=sum(1 for n in order if children[n]),
        )


@dataclass
class TreeBatch:
    """One forward pass over the option trees of ``R`` prompts, after the prompts' cache columns."""

    ids: torch.Tensor  # [R, T] node tokens, right-padded
    position: torch.Tensor  # [R, T] position ids: each prompt's next position plus the node's depth
    mask: torch.Tensor  # [R, 1, T, P + T] additive attention mask (0 or the dtype's minimum)
    keep: int  # logits needed at nodes [0, keep) of every row


def tree_batch(
    trees: Sequence[OptionTree], prompt_mask: torch.Tensor, next_position: torch.Tensor, pad: int, dtype: torch.dtype
) -> TreeBatch:
    """Inputs for scoring ``trees`` (one per row) after prompts whose 2-D mask over the cache's ``P``
    columns is ``prompt_mask`` [R, P] and whose next positions are ``next_position`` [R, 1]."""
    rows, width = len(trees), max(len(t) for t in trees)
    columns = prompt_mask.shape[1]
    ids = torch.full((rows, width), pad, dtype=torch.long)
    depth = torch.zeros((rows, width), dtype=torch.long)
    allowed = torch.zeros((rows, width, columns + width), dtype=torch.bool)  # [R, T, P + T]
    allowed[:, :, :columns] = prompt_mask.bool().unsqueeze(1)
    for r, tree in enumerate(trees):
        n = len(tree)
        ids[r, :n] = torch.tensor(tree.tokens, dtype=torch.long)
        depth[r, :n] = torch.tensor(tree.depths, dtype=torch.long)
        sees = [[False] * n for _ in range(n)]  # [n, n]: node q attends to node j (its ancestors and itself)
        for q in range(n):
            j = q
            while j >= 0:
                sees[q][j] = True
                j = tree.parents[j]
        if n:
            allowed[r, :n, columns : columns + n] = torch.tensor(sees)
        for q in range(n, width):  # a padding node sees itself too, in case its row's prompt mask were empty
            allowed[r, q, columns + q] = True
    mask = torch.zeros(allowed.shape, dtype=dtype).masked_fill_(~allowed, torch.finfo(dtype).min)
    keep = max(1, max(t.inner for t in trees))
    return TreeBatch(ids, next_position + depth, mask.unsqueeze(1), keep)


def tree_scores(trees: Sequence[OptionTree], first: torch.Tensor, logprobs: torch.Tensor) -> list[list[float]]:
    """Each option's summed log-probability. ``first`` [R, V]: next-token log-probs after each prompt;
    ``logprobs`` [R, K, V]: after each of the first ``K`` nodes of each row's tree."""
    rows, parents, tokens = [], [], []
    for r, tree in enumerate(trees):
        for p, t in zip(tree.parents, tree.tokens, strict=True):
            rows.append(r)
            parents.append(p)
            tokens.append(t)
    if not rows:
        return [[0.0] * len(t.ends) for t in trees]
    device = first.device  # index where the log-probs are (an accelerator's stay there)
    row_index, token_index = torch.tensor(rows, device=device), torch.tensor(tokens, device=device)
    parent = torch.tensor(parents, device=device)
    after_parent = logprobs[row_index, parent.clamp(min=0), token_index]  # [N]
    after_prompt = first[row_index, token_index]  # [N]
    own = torch.where(parent < 0, after_prompt, after_parent).tolist()
    scores, k = [], 0
    for tree in trees:
        path = []  # per node: log-probability of the path from the prompt to it, inclusive
        for p in tree.parents:
            path.append(own[k] + (path[p] if p >= 0 else 0.0))
            k += 1
        scores.append([path[e] if e >= 0 else 0.0 for e in tree.ends])
    return scores
