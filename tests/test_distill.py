"""DPO distillation on a tiny GPT-2: pairs ranked by latent strategy; the weights change and the
chosen-over-rejected margin grows on held-out pairs (TRL's habit: assert that training did something)."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from solvers.distill import (
    Candidate,
    DPOParams,
    LoRAParams,
    SpeakingTurn,
    preference_margin,
    preference_pairs,
    train_dpo,
)

pytest_plugins = ("tests.llm_fixtures",)

ACCUSE = '"statement": "I checked {q} and they are a werewolf!"}}'
PASSIVE = '"statement": "I am a simple villager."}}'


def _turns(players: range) -> list[SpeakingTurn]:
    """The accusing candidate is latent 1 and the passive one latent 0, for every prompt."""
    turns = []
    for i in players:
        prompt = f"<|im_start|>user\nDay 1. You are player_{i}. Speak.<|im_end|>\n<|im_start|>assistant\n{{"
        candidates = (Candidate(PASSIVE, 0), Candidate(ACCUSE.format(q=f"player_{(i + 3) % 16}"), 1))
        turns.append(SpeakingTurn(prompt, "seer", candidates))
    return turns


def test_pairs_follow_the_preference_and_skip_ties():
    turn = SpeakingTurn("p", "seer", (Candidate("a", 0), Candidate("b", 1), Candidate("c", 1), Candidate("b", 2)))
    prefer = {0: -0.5, 1: 0.25, 2: 0.25}  # e.g. minus the regret of each latent strategy
    pairs = preference_pairs([turn], lambda role, latent: prefer[latent])
    assert {(p.chosen, p.rejected) for p in pairs} == {("b", "a"), ("c", "a")}  # b~c tie; b(1) vs b(2) identical
    assert all(p.gap == pytest.approx(0.75) and p.role == "seer" for p in pairs)
    assert pairs[0].row() == {"prompt": "p", "chosen": "b", "rejected": "a"}


def test_no_pairs_is_a_clear_error(tmp_path, tiny_model_dir):
    with pytest.raises(ValueError, match="no preference pairs"):
        train_dpo(tiny_model_dir, [], tmp_path / "ckpt")


@pytest.mark.parametrize("lora", [None, LoRAParams(r=4, alpha=8)], ids=["full", "lora"])
def test_dpo_moves_weights_and_grows_the_held_out_margin(tmp_path, tiny_model_dir, lora):
    torch.set_num_threads(1)
    prefer = {0: 0.0, 1: 1.0}
    train = preference_pairs(_turns(range(0, 12)), lambda role, latent: prefer[latent])
    held_out = preference_pairs(_turns(range(12, 16)), lambda role, latent: prefer[latent])
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    before = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    margin_before = preference_margin(before, tokenizer, held_out)

    lr = 5e-3 if lora is None else 2e-2
    params = DPOParams(learning_rate=lr, epochs=4, batch_size=4, max_length=128, lora=lora, seed=0)
    result = train_dpo(tiny_model_dir, train, tmp_path / "ckpt", params)
    after = AutoModelForCausalLM.from_pretrained(result.checkpoint)

    assert result.pairs == 12 and result.steps == 12
    changed = [
        name
        for (name, p0), (_, p1) in zip(before.named_parameters(), after.named_parameters(), strict=True)
        if not torch.equal(p0, p1)
    ]
    assert changed, "DPO left every weight unchanged"
    assert "lm_head.weight" not in changed or lora is None  # LoRA only touches adapted modules
    margin_after = preference_margin(after, tokenizer, held_out)
    assert margin_after > margin_before + 1.0, (margin_before, margin_after)


def test_long_prompts_lose_their_start_not_the_reply(tiny_model_dir):
    from solvers.distill.dpo import _fit

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    pair = preference_pairs(_turns(range(1)), lambda role, latent: latent)[0]
    long = type(pair)("history line. " * 200 + pair.prompt, pair.chosen, pair.rejected, pair.role, pair.gap)
    fitted = _fit(long, tokenizer, 64)
    assert fitted.prompt.endswith("Speak.<|im_end|>\n<|im_start|>assistant\n{") and fitted.chosen == pair.chosen
    total = len(tokenizer.encode(fitted.prompt + fitted.chosen, add_special_tokens=False))
    assert total <= 64
    with pytest.raises(ValueError, match="max_length=4"):
        _fit(long, tokenizer, 4)
