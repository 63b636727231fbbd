"""The options of one prompt as a token tree: every option is a path, shared tokens are one node,
nodes with children come first, and each node attends to the prompt and its own ancestors only."""

from __future__ import annotations

import torch

from agents.llm.option_tree import OptionTree, tree_batch, tree_scores

OPTIONS = [[1, 2, 3], [1, 2, 4], [1, 5], [], [1, 2], [1, 2, 3]]  # a prefix of another, empty, a duplicate


def path(tree: OptionTree, node: int) -> list[int]:
    tokens = []
    while node >= 0:
        tokens.append(tree.tokens[node])
        node = tree.parents[node]
    return tokens[::-1]


def test_each_option_is_a_path_and_shared_tokens_are_one_node():
    tree = OptionTree.build(OPTIONS)
    assert len(tree) == 5  # 1, 2, 3, 4, 5
    assert [path(tree, e) if e >= 0 else [] for e in tree.ends] == OPTIONS
    assert tree.inner == 2 and sorted(tree.tokens[: tree.inner]) == [1, 2]  # the nodes with children first
    assert all(p < n for n, p in enumerate(tree.parents))  # parents first: path sums read in node order
    assert tree.depths == [len(path(tree, n)) - 1 for n in range(len(tree))]


def test_a_node_sees_the_prompt_and_its_ancestors_only():
    trees = [OptionTree.build(OPTIONS), OptionTree.build([[7]])]
    prompt_mask = torch.tensor([[0, 1, 1], [1, 1, 1]])  # [R, P]: row 0 is left-padded
    batch = tree_batch(trees, prompt_mask, torch.tensor([[2], [3]]), pad=0, dtype=torch.float32)
    assert batch.ids.shape == (2, 5) and batch.mask.shape == (2, 1, 5, 8) and batch.keep == 2
    sees = batch.mask[:, 0] == 0  # [R, T, P + T]
    tree = trees[0]
    for node in range(len(tree)):
        ancestors = {3 + n for n in range(len(tree)) if path(tree, n) == path(tree, node)[: len(path(tree, n))]}
        assert set(sees[0, node].nonzero().flatten().tolist()) == {1, 2} | ancestors
    assert batch.position[0].tolist() == [2 + d for d in tree.depths]
    assert sees[1, 0].tolist() == [True, True, True, True, False, False, False, False]
    assert sees[1, 3].nonzero().flatten().tolist() == [0, 1, 2, 6]  # padding sees the prompt (harmless) and itself


def test_scores_sum_the_log_probabilities_along_each_path():
    tree = OptionTree.build(OPTIONS)
    vocab = 8
    first = torch.log_softmax(torch.arange(vocab, dtype=torch.float32), dim=-1).unsqueeze(0)  # [1, V]
    after = torch.log_softmax(torch.randn(1, tree.inner, vocab), dim=-1)  # [1, K, V]
    (scores,) = tree_scores([tree], first, after)
    node = {tuple(path(tree, n)): n for n in range(len(tree))}

    def expected(option: list[int]) -> float:
        total, prefix = 0.0, []
        for token in option:
            total += float(first[0, token] if not prefix else after[0, node[tuple(prefix)], token])
            prefix.append(token)
        return total

    assert scores == [expected(o) for o in OPTIONS]
