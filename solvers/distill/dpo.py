"""DPO on CPU with TRL: one checkpoint per LSPO iteration.

CPU facts (``../shared/reference/solvers.md``): ``DPOConfig`` must get ``bf16=False``/``use_cpu=True``;
a model built from a config has no name to reload a reference from, so the reference is an explicit
frozen copy (or, with LoRA, the base model with its adapter switched off, which TRL does itself).
The checkpoint is a plain transformers directory (a LoRA adapter is merged in), so the next iteration
loads it like any local model.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from solvers.distill.pairs import PreferencePair


class LoRAParams(BaseModel):
    """Low-rank adapters through ``peft`` (target modules: peft's default for the architecture)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    r: int = Field(8, ge=1, le=256, description="Adapter rank.")
    alpha: int = Field(16, ge=1, description="Scaling numerator (lora_alpha).")
    dropout: float = Field(0.0, ge=0.0, lt=1.0)


class DPOParams(BaseModel):
    """DPO settings. LSPO used beta 0.1, lr 1e-6, 2 epochs, batch 64 on an 8B model; a 135M model on a
    handful of pairs needs a larger step to move at all, hence the default lr."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    beta: float = Field(0.1, gt=0, description="KL strength: how far the policy may move from the reference.")
    learning_rate: float = Field(5e-6, gt=0)
    epochs: float = Field(2.0, gt=0)
    batch_size: int = Field(8, ge=1, description="Pairs per optimizer step (micro-batches x accumulation).")
    micro_batch: int = Field(
        2, ge=1, description="Pairs per forward pass: memory grows with it (vocab-sized logits per token)."
    )
    max_length: int = Field(1024, ge=16, description="Prompt + completion tokens; longer prompts lose their start.")
    lora: LoRAParams | None = Field(None, description="Train LoRA adapters instead of every weight.")
    device: Literal["cpu", "auto"] = Field(
        "cpu", description="'auto' trains on the accelerator when torch sees one (float32 either way)."
    )
    seed: int = 0


@dataclass(frozen=True)
class DPOResult:
    checkpoint: Path
    pairs: int
    steps: int
    train_loss: float
    seconds: float


def train_dpo(
    model_dir: str | Path, pairs: Sequence[PreferencePair], out_dir: str | Path, params: DPOParams | None = None
) -> DPOResult:
    """Fine-tune the model in ``model_dir`` on ``pairs`` and save the result to ``out_dir``."""
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    params = params or DPOParams()
    if not pairs:
        raise ValueError("train_dpo: no preference pairs (every candidate of every turn had the same strategy score)")
    out_dir = Path(out_dir)
    tokenizer = _tokenizer(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    args = DPOConfig(
        output_dir=str(out_dir / "trainer"),
        beta=params.beta,
        learning_rate=params.learning_rate,
        num_train_epochs=params.epochs,
        per_device_train_batch_size=min(params.micro_batch, params.batch_size),
        gradient_accumulation_steps=max(1, params.batch_size // min(params.micro_batch, params.batch_size)),
        max_length=params.max_length,  # never reached: _fit cuts prompts first
        bf16=False,
        use_cpu=params.device == "cpu" or not torch.cuda.is_available(),
        activation_checkpointing=False,  # TRL turns it on by default; on CPU it only costs time
        report_to="none",
        save_strategy="no",
        logging_steps=1,
        seed=params.seed,
        data_seed=params.seed,
        disable_tqdm=True,
    )
    peft_config, ref_model = None, None
    if params.lora is not None:
        from peft import LoraConfig

        peft_config = LoraConfig(
            r=params.lora.r, lora_alpha=params.lora.alpha, lora_dropout=params.lora.dropout, task_type="CAUSAL_LM"
        )
    else:
        ref_model = copy.deepcopy(model).eval()
    trainer = DPOTrainer(
        model=model,
        ref_model=ref_model,
        args=args,
        train_dataset=Dataset.from_list([_fit(p, tokenizer, params.max_length).row() for p in pairs]),
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    output = trainer.train()
    trained = trainer.model
    if params.lora is not None:
        trained = trained.merge_and_unload()
    trained.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return DPOResult(
        checkpoint=out_dir,
        pairs=len(pairs),
        steps=int(output.global_step),
        train_loss=float(output.training_loss),
        seconds=float(output.metrics.get("train_runtime", 0.0)),
    )


@torch.inference_mode()
def preference_margin(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, pairs: Sequence[PreferencePair]
) -> float:
    """Mean over pairs of log p(chosen | prompt) - log p(rejected | prompt): what DPO pushes up."""
    model.eval()
    margins = [
        _completion_logprob(model, tokenizer, p.prompt, p.chosen)
        - _completion_logprob(model, tokenizer, p.prompt, p.rejected)
        for p in pairs
    ]
    return float(sum(margins) / len(margins))


def _completion_logprob(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompt: str, completion: str
) -> float:
    prompt_ids = tokenizer.encode(prompt, add_special_tokens=False)
    completion_ids = tokenizer.encode(completion, add_special_tokens=False)
    ids = torch.tensor([prompt_ids + completion_ids])  # [1, P + C]
    logprobs = torch.log_softmax(model(input_ids=ids).logits[0, :-1].float(), dim=-1)  # [P + C - 1, V]
    targets = ids[0, len(prompt_ids) :]  # [C]: each predicted from the position before it
    return float(logprobs[len(prompt_ids) - 1 :].gather(-1, targets.unsqueeze(-1)).sum())


def _fit(pair: PreferencePair, tokenizer: PreTrainedTokenizerBase, max_length: int) -> PreferencePair:
    """Cut the prompt's start so prompt + the longer completion fit in ``max_length`` tokens: the
    question at a prompt's end matters more than the first lines of history, and TRL's own
    truncation would cut the completion instead."""
    ids = tokenizer.encode(pair.prompt, add_special_tokens=False)
    longest = max(len(tokenizer.encode(c, add_special_tokens=False)) for c in (pair.chosen, pair.rejected))
    room = max_length - longest - 1  # one token for the EOS that TRL appends
    if len(ids) <= room:
        return pair
    if room <= 0:
        raise ValueError(f"DPOParams.max_length={max_length} leaves no room for the prompt of a {longest}-token reply")
    return replace(pair, prompt=tokenizer.decode(ids[-room:]))


def _tokenizer(model_dir: str | Path) -> PreTrainedTokenizerBase:
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token is None:  # TRL pads batches; a causal LM's EOS serves
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
