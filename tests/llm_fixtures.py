"""A tiny GPT-2 with a locally trained byte-level BPE tokenizer and a ChatML template, for fast
LLM-backend tests without any download.

Use from a test module with ``pytest_plugins = ("tests.llm_fixtures",)``; the model directory is
built once per session and loads with :meth:`agents.llm.local.TransformersBackend.from_dir`.
Following the TRL habit (tests on tiny models built from a config), the weights are random but
seeded, so every run sees the same model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from agents.llm.agent import ACTION_FIELD, REASONING_FIELD, STATEMENT_FIELD, SYSTEM
from games.werewolf.text import PHASE_QUESTIONS, RULES_SUMMARY

VOCAB_SIZE = 400
SPECIAL_TOKENS = ("<|endoftext|>", "<|pad|>", "<|im_start|>", "<|im_end|>")
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def werewolf_corpus() -> list[str]:
    """Text like what the backend sees: rules, questions, the JSON reply format, player names."""
    players = [f"player_{i}" for i in range(16)]
    lines = [
        RULES_SUMMARY,
        REASONING_FIELD,
        STATEMENT_FIELD,
        ACTION_FIELD.format(legal=", ".join([*players[:7], "abstain"])),
    ]
    lines += [q.format(day=d) for q in PHASE_QUESTIONS.values() for d in (1, 2, 3)]
    # system texts as they were when they named the player: the tokenizer's merges, and the token
    # counts that tests assert, stay those of the corpus the tests were written against
    rest = SYSTEM.format(game="Werewolf").removeprefix("You are a player in a game of Werewolf. ")
    lines += [f"You are {p}, a player in a game of Werewolf. {rest}" for p in players]
    for i, p in enumerate(players):
        q = players[(i + 3) % len(players)]
        lines += [
            f'{{"reasoning": "{q} is quiet, maybe a werewolf", "action": "{q}"}}',
            f'{{"reasoning": "I am the seer", "statement": "I checked {q} and they are a werewolf!"}}',
            f'{p} said: "I am a villager. Let\'s vote for {q}."',
            f"Day 1 vote: {p}->{q}, {q}->abstain. {q} was eliminated.",
            f"Morning of day 2: {p} was killed last night. Your check: {q} IS a werewolf.",
        ]
    return lines * 3


def build_tiny_model_dir(path: Path, seed: int = 0) -> Path:
    """Train the tokenizer, build a seeded 2-layer GPT-2 and save both to ``path``."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(werewolf_corpus(), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|endoftext|>",
        pad_token="<|pad|>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
    )
    fast.chat_template = CHAT_TEMPLATE
    config = GPT2Config(
        n_layer=2,
        n_head=2,
        n_embd=32,
        n_positions=512,
        vocab_size=len(fast),
        bos_token_id=fast.eos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
    )
    with torch.random.fork_rng(devices=[]):  # seeded init without touching the global stream
        torch.manual_seed(seed)
        model = GPT2LMHeadModel(config)
    model.save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)  # tiny models run many times slower with more threads
    return build_tiny_model_dir(tmp_path_factory.mktemp("tiny-gpt2"))
