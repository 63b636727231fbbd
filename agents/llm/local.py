"""Local transformers backend that batches concurrent requests into one padded forward pass.

Many games await ``generate`` at once. Requests wait in a queue, and a worker task takes every
pending request (up to ``max_batch`` rows), left-pads them and decodes them together with a KV
cache, then resolves each request's future. Each row samples with its own ``torch.Generator``
seeded from the request, so a reply depends on its seed and prompt and not on which batch it
landed in (up to float rounding from padding).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from agents.llm.backend import BackendError, Prompt, Sampling


@dataclass
class _Request:
    kind: str  # "generate" | "score"
    rows: list[list[int]]  # generate: prompt ids per row; score: continuation ids per option
    future: asyncio.Future
    sampling: Sampling | None = None
    prefix: list[int] = field(default_factory=list)  # score: the prompt shared by every option


@dataclass
class BackendStats:
    requests: int = 0
    batches: int = 0
    rows: int = 0
    generated_tokens: int = 0
    max_batch_rows: int = 0


class TransformersBackend:
    """A causal LM from a local directory (default: the embedded SmolLM2-135M-Instruct)."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        name: str = "local",
        max_batch: int = 32,
        max_prompt_tokens: int = 1536,
        gather_ms: float = 2.0,
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.max_batch = max_batch
        self.max_prompt_tokens = max_prompt_tokens
        self.gather_s = gather_ms / 1000
        self.stats = BackendStats()
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.eos_ids = {tokenizer.eos_token_id} | _extra_stop_ids(tokenizer)
        self._queue: asyncio.Queue[_Request] | None = None
        self._worker: asyncio.Task | None = None
        self._lock = threading.Lock()  # the model runs in a worker thread; one batch at a time

    @classmethod
    def from_dir(cls, path: str | Path, **kwargs) -> TransformersBackend:
        hf_logging.disable_progress_bar()  # a per-load bar would break the tournament's own progress bar
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(path)
        return cls(model, tokenizer, name=kwargs.pop("name", Path(path).name), **kwargs)

    @classmethod
    def embedded(cls, **kwargs) -> TransformersBackend:
        from agents.llm.embedded import EMBEDDED_NAME, embedded_model_dir

        return cls.from_dir(embedded_model_dir(), name=kwargs.pop("name", EMBEDDED_NAME), **kwargs)

    # ---- public API ------------------------------------------------------------------------------
    async def generate(self, prompt: Prompt, sampling: Sampling, n: int = 1, prefill: str = "") -> list[str]:
        ids = self._encode_prompt(prompt, prefill)
        replies = await self._submit(_Request("generate", [ids] * n, self._future(), sampling=sampling))
        return [prefill + reply for reply in replies]

    async def score(self, prompt: Prompt, continuations: Sequence[str]) -> list[float]:
        options = [self.tokenizer.encode(c, add_special_tokens=False) for c in continuations]
        return await self._submit(_Request("score", options, self._future(), prefix=self._encode_prompt(prompt)))

    def chat_text(self, prompt: Prompt) -> str:
        messages = [{"role": m.role, "content": m.content} for m in prompt]
        return self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)

    # ---- queueing --------------------------------------------------------------------------------
    def _future(self) -> asyncio.Future:
        return asyncio.get_running_loop().create_future()

    def _encode_prompt(self, prompt: Prompt, prefill: str = "") -> list[int]:
        ids = self.tokenizer.encode(self.chat_text(prompt) + prefill, add_special_tokens=False)
        # keep the end (the question) when a long game history overflows the budget
        return ids[-self.max_prompt_tokens :]

    async def _submit(self, request: _Request):
        loop = asyncio.get_running_loop()
        if self._queue is None or self._worker is None or self._worker.get_loop() is not loop or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = loop.create_task(self._run())
        self.stats.requests += 1
        await self._queue.put(request)
        return await request.future

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            await asyncio.sleep(self.gather_s)  # let the other games' requests arrive
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            for kind in ("generate", "score"):
                group = [r for r in batch if r.kind == kind]
                while group:
                    take, rows = [], 0
                    while group and (not take or rows + len(group[0].rows) <= self.max_batch):
                        rows += len(group[0].rows)
                        take.append(group.pop(0))
                    await self._execute(kind, take)

    async def _execute(self, kind: str, requests: list[_Request]) -> None:
        work = self._generate_rows if kind == "generate" else self._score_rows
        try:
            results = await asyncio.to_thread(work, requests)
        except Exception as error:  # a failed batch fails its requests, not the worker
            failure = BackendError(f"{self.name}: {type(error).__name__}: {error}")
            for r in requests:
                if not r.future.done():
                    r.future.set_exception(failure)
            return
        for r, result in zip(requests, results, strict=True):
            if not r.future.done():
                r.future.set_result(result)

    # ---- model work (worker thread) --------------------------------------------------------------
    def _pad_left(self, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, width - len(r) :] = torch.tensor(r)
            mask[i, width - len(r) :] = 1
        return ids, mask  # [B, T] each

    @torch.inference_mode()
    def _generate_rows(self, requests: list[_Request]) -> list[list[str]]:
        rows, settings, generators = [], [], []
        for r in requests:
            assert r.sampling is not None
            for i, ids in enumerate(r.rows):
                rows.append(ids)
                settings.append(r.sampling)
                generators.append(torch.Generator().manual_seed(r.sampling.seed + i))
        with self._lock:
            ids, mask = self._pad_left(rows)
            position = (mask.cumsum(-1) - 1).clamp(min=0)
            out = self.model(
                input_ids=ids, attention_mask=mask, position_ids=position, use_cache=True, logits_to_keep=1
            )
            cache, logits = out.cache, out.logits[:, -1, :]  # [B, V]
            budget = [s.max_new_tokens for s in settings]
            produced: list[list[int]] = [[] for _ in rows]
            done = [b <= 0 for b in budget]
            next_pos = position[:, -1:] + 1  # [B, 1]
            for _ in range(max(budget, default=0)):
                tokens = [
                    self.pad_id if done[i] else _sample(logits[i], settings[i], generators[i]) for i in range(len(rows))
                ]
                for i, t in enumerate(tokens):
                    if done[i]:
                        continue
                    if t in self.eos_ids:
                        done[i] = True
                    else:
                        produced[i].append(t)
                        done[i] = len(produced[i]) >= budget[i]
                if all(done):
                    break
                step = torch.tensor(tokens, dtype=torch.long).unsqueeze(1)  # [B, 1]
                mask = torch.cat([mask, torch.ones_like(step)], dim=1)
                out = self.model(
                    input_ids=step, attention_mask=mask, position_ids=next_pos, cache=cache, use_cache=True
                )
                cache, logits, next_pos = out.cache, out.logits[:, -1, :], next_pos + 1
        self.stats.batches += 1
        self.stats.rows += len(rows)
        self.stats.max_batch_rows = max(self.stats.max_batch_rows, len(rows))
        self.stats.generated_tokens += sum(len(p) for p in produced)
        texts = [self.tokenizer.decode(p, skip_special_tokens=True) for p in produced]
        results, start = [], 0
        for r in requests:
            results.append(texts[start : start + len(r.rows)])
            start += len(r.rows)
        return results

    @torch.inference_mode()
    def _score_rows(self, requests: list[_Request]) -> list[list[float]]:
        """Sum of log-probabilities of each option after its prompt. Each prompt runs once; its KV
        cache is then copied to every option of that prompt, so k options cost one prompt pass."""
        owner = [i for i, r in enumerate(requests) for _ in r.rows]  # option -> its request
        options = [row for r in requests for row in r.rows]
        with self._lock:
            ids, mask = self._pad_left([r.prefix for r in requests])  # [R, T]
            position = (mask.cumsum(-1) - 1).clamp(min=0)
            out = self.model(
                input_ids=ids, attention_mask=mask, position_ids=position, use_cache=True, logits_to_keep=1
            )
            first = torch.log_softmax(out.logits[:, -1, :].float(), dim=-1)  # [R, V]: next-token log-probs
            scores = [0.0] * len(options)
            width = max((len(o) for o in options), default=0)
            if width:
                index = torch.tensor(owner)
                cache = out.cache
                cache.batch_select_indices(index)  # [O, T] rows: each option gets its prompt's cache
                tokens = torch.full((len(options), width), self.pad_id, dtype=torch.long)  # [O, C], right-padded
                for o, row in enumerate(options):
                    tokens[o, : len(row)] = torch.tensor(row, dtype=torch.long)
                option_mask = torch.cat([mask[index], torch.ones_like(tokens)], dim=1)  # [O, T + C]
                option_position = position[index, -1:] + 1 + torch.arange(width)  # [O, C]
                logits = self.model(
                    input_ids=tokens, attention_mask=option_mask, position_ids=option_position, cache=cache
                ).logits  # [O, C, V]
                logprobs = torch.log_softmax(logits.float(), dim=-1)
                for o, row in enumerate(options):
                    if not row:
                        continue
                    total = first[owner[o], row[0]]
                    if len(row) > 1:
                        following = torch.tensor(row[1:]).unsqueeze(-1)  # [C-1, 1]
                        total = total + logprobs[o, : len(row) - 1].gather(-1, following).sum()
                    scores[o] = float(total)
        self.stats.batches += 1
        self.stats.rows += len(options)
        self.stats.max_batch_rows = max(self.stats.max_batch_rows, len(options))
        results, begin = [], 0
        for r in requests:
            results.append(scores[begin : begin + len(r.rows)])
            begin += len(r.rows)
        return results


def _sample(logits: torch.Tensor, s: Sampling, generator: torch.Generator) -> int:
    """Temperature + nucleus sampling for one row; greedy at temperature 0."""
    if s.temperature <= 0:
        return int(logits.argmax())
    probs = torch.softmax(logits.float() / s.temperature, dim=-1)
    if s.top_p < 1.0:
        sorted_probs, order = probs.sort(descending=True)
        keep = sorted_probs.cumsum(-1) - sorted_probs < s.top_p  # always keeps the top token
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
    return int(torch.multinomial(probs, 1, generator=generator))


def _extra_stop_ids(tokenizer: PreTrainedTokenizerBase) -> set[int]:
    """Chat models end a turn with a special token that is not always the EOS (``<|im_end|>``)."""
    ids = set()
    for token in ("<|im_end|>", "<|eot_id|>", "<|end|>"):
        tid = tokenizer.convert_tokens_to_ids(token)
        if isinstance(tid, int) and tid != tokenizer.unk_token_id:
            ids.add(tid)
    return ids
