"""Local transformers backend that batches concurrent requests into one padded forward pass.

Many games await ``generate`` at once. Requests wait in a queue, and a worker task takes every
pending request (up to ``max_batch`` rows: one per reply, one per scored option), left-pads them
and decodes them together with a KV cache, then resolves each request's future. Each row samples
with its own ``torch.Generator`` seeded from the request, so a reply depends on its seed and prompt
and not on which batch it landed in (up to float rounding from padding).

A prompt's first tokens are often an earlier prompt's (a player's history only grows), so the
backend keeps the KV cache of recent prompts (:mod:`agents.llm.prefix_cache`) and runs only the
new suffix; a batch mixes rows with different cached lengths (layout: :mod:`agents.llm.batch_cache`).
``score`` shares the same cache. On CPU the prompt passes are compute-bound and cost the same per
token batched or not: batching pays in decoding, the prefix cache in the prompt tokens it never runs.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from agents.llm.attention import use_grouped_sdpa
from agents.llm.backend import BackendError, Prompt, Sampling
from agents.llm.batch_cache import BatchCache
from agents.llm.prefix_cache import PrefixCache, PrefixEntry


@dataclass
class _Request:
    kind: str  # "generate" | "score"
    rows: list[list[int]]  # generate: prompt ids per row; score: continuation ids per option
    future: asyncio.Future
    sampling: Sampling | None = None
    prefix: list[int] = field(default_factory=list)  # score: the prompt shared by every option


@dataclass
class _Prefill:
    """A batch after its prompts' forward pass."""

    cache: BatchCache
    mask: torch.Tensor  # [B, P + S] attention mask over the cache's columns so far
    next_position: torch.Tensor  # [B, 1] position id of each row's next token
    logits: torch.Tensor  # [B, V] next-token logits after each prompt
    hits: list[tuple[PrefixEntry | None, int]]  # per row: the prefix-cache entry reused and its reused length
    spans: list[tuple[tuple[int, int], tuple[int, int]]]  # per row: cache columns of its past and of its suffix
    order: list[int]  # per row: the index of its prompt in the list given to ``_prefill``


@dataclass
class BackendStats:
    requests: int = 0
    batches: int = 0
    rows: int = 0
    generated_tokens: int = 0
    max_batch_rows: int = 0
    prefix_lookups: int = 0  # prompts looked up in the prefix cache (one per generate row, one per score)
    prefix_hits: int = 0  # ... that reused a cached prefix
    reused_tokens: int = 0  # prompt tokens whose keys and values came from the prefix cache
    prefilled_tokens: int = 0  # prompt tokens run through the model
    # where the worker's time goes (seconds): prompt passes, decoding passes, sampling, scoring the options'
    # tokens, and prefix-cache work (lookups, copying entries out of a batch)
    prefill_s: float = 0.0
    decode_s: float = 0.0
    sampling_s: float = 0.0
    options_s: float = 0.0
    prefix_cache_s: float = 0.0

    @property
    def prefix_hit_rate(self) -> float:
        return self.prefix_hits / self.prefix_lookups if self.prefix_lookups else 0.0

    @property
    def reused_fraction(self) -> float:
        total = self.reused_tokens + self.prefilled_tokens
        return self.reused_tokens / total if total else 0.0


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
        prefix_cache_gib: float = 2.0,
    ) -> None:
        """``prefix_cache_gib`` bounds the prefix cache (0 turns it off). SmolLM2-135M keeps 45 KiB of
        keys and values per token, so 2 GiB hold ~46k tokens: the histories of ~8 concurrent 7-player
        games; more games evict the least recently used players' histories."""
        self.model = model.eval()
        use_grouped_sdpa(self.model)  # no repeated key/value heads in masked multi-token passes
        self.tokenizer = tokenizer
        self.name = name
        self.max_batch = max_batch
        self.max_prompt_tokens = max_prompt_tokens
        self.gather_s = gather_ms / 1000
        self.stats = BackendStats()
        self.prefix_cache = PrefixCache(int(prefix_cache_gib * 2**30))
        self.n_layers = model.config.get_text_config().num_hidden_layers
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
                    while group and (not take or rows + _rows(group[0]) <= self.max_batch):
                        rows += _rows(group[0])
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
    def _prefill(self, prompts: list[list[int]], extra: int) -> _Prefill:
        """Run every prompt's uncached suffix (layout: :mod:`agents.llm.batch_cache`), leaving ``extra``
        columns for the tokens that follow. Rows are ordered by suffix length, longest first
        (``_Prefill.order``), and run in groups of similar length: padding a 20-token suffix to a
        340-token one would cost as much as running it."""
        clock = time.perf_counter()
        found = [self.prefix_cache.lookup(ids) for ids in prompts]
        order = sorted(range(len(prompts)), key=lambda i: found[i][1] - len(prompts[i]))
        hits = [found[i] for i in order]
        reused = [n for _, n in hits]
        suffixes = [prompts[i][n:] for i, n in zip(order, reused, strict=True)]
        past, width = max(reused), len(suffixes[0])
        pasts = [None if e is None else [kv[:, :, :n] for kv in e.kv] for e, n in hits]
        cache = BatchCache(self.n_layers, pasts, capacity=past + width + extra)
        mask = torch.zeros((len(prompts), past + width), dtype=torch.long)  # [B, P + S]
        spans = []
        for i, (suffix, n) in enumerate(zip(suffixes, reused, strict=True)):
            mask[i, past - n : past] = 1
            mask[i, past + width - len(suffix) :] = 1
            spans.append(((past - n, past), (past + width - len(suffix), past + width)))
        self.stats.prefix_cache_s += time.perf_counter() - clock
        clock = time.perf_counter()
        logits = []
        for rows in _groups([len(x) for x in suffixes]):
            size = len(suffixes[rows.start])  # [rows, size]: this group's suffixes, left-padded
            ids = torch.full((rows.stop - rows.start, size), self.pad_id, dtype=torch.long)
            position = torch.zeros_like(ids)
            for r, (suffix, n) in enumerate(zip(suffixes[rows], reused[rows], strict=True)):
                ids[r, size - len(suffix) :] = torch.tensor(suffix, dtype=torch.long)
                position[r, size - len(suffix) :] = torch.arange(n, n + len(suffix))
            cache.focus(rows, past + width - size)
            out = self.model(
                input_ids=ids, attention_mask=mask[rows], position_ids=position, cache=cache, logits_to_keep=1
            )
            logits.append(out.logits[:, -1, :])
        cache.focus(slice(None), past + width)
        self.stats.prefill_s += time.perf_counter() - clock
        self.stats.prefix_lookups += len(prompts)
        self.stats.prefix_hits += sum(n > 0 for n in reused)
        self.stats.reused_tokens += sum(reused)
        self.stats.prefilled_tokens += sum(len(x) for x in suffixes)
        next_position = torch.tensor([[len(prompts[i])] for i in order])  # [B, 1]
        return _Prefill(cache, mask, next_position, torch.cat(logits), hits, spans, order)

    def _remember(self, prefill: _Prefill, row: int, tokens: list[int], read: int = 0) -> None:
        """Put row ``row``'s prompt, and the ``read`` reply tokens decoded after it, in the prefix cache."""
        (a, b), (c, d) = prefill.spans[row]
        entry, reused = prefill.hits[row]
        clock = time.perf_counter()
        self.prefix_cache.insert(tokens, prefill.cache.row(row, [(a, b), (c, d + read)]), entry, reused)
        self.stats.prefix_cache_s += time.perf_counter() - clock

    @torch.inference_mode()
    def _generate_rows(self, requests: list[_Request]) -> list[list[str]]:
        rows, settings, generators = [], [], []
        for r in requests:
            assert r.sampling is not None
            for i, ids in enumerate(r.rows):
                rows.append(ids)
                settings.append(r.sampling)
                generators.append(torch.Generator().manual_seed(r.sampling.seed + i))
        budget = [s.max_new_tokens for s in settings]
        produced: list[list[int]] = [[] for _ in rows]
        done = [b <= 0 for b in budget]
        steps = 0  # decoding passes run: a row's first ``steps`` produced tokens are in the cache
        with self._lock:
            prefill = self._prefill(rows, extra=max(budget, default=0))
            rows, settings, generators, budget, done = (
                [x[i] for i in prefill.order] for x in (rows, settings, generators, budget, done)
            )
            cache, mask, next_pos, logits = prefill.cache, prefill.mask, prefill.next_position, prefill.logits
            for _ in range(max(budget, default=0)):
                clock = time.perf_counter()
                tokens = _sample_rows(logits, settings, generators, done, self.pad_id)
                for i, t in enumerate(tokens):
                    if done[i]:
                        continue
                    if t in self.eos_ids:
                        done[i] = True
                    else:
                        produced[i].append(t)
                        done[i] = len(produced[i]) >= budget[i]
                self.stats.sampling_s += time.perf_counter() - clock
                if all(done):
                    break
                clock = time.perf_counter()
                step = torch.tensor(tokens, dtype=torch.long).unsqueeze(1)  # [B, 1]
                mask = torch.cat([mask, torch.ones_like(step)], dim=1)
                logits = self.model(
                    input_ids=step, attention_mask=mask, position_ids=next_pos, cache=cache, use_cache=True
                ).logits[:, -1, :]
                next_pos, steps = next_pos + 1, steps + 1
                self.stats.decode_s += time.perf_counter() - clock
            for i, ids in enumerate(rows):  # with the reply read so far: a retry prompt quotes it
                read = min(len(produced[i]), steps)
                self._remember(prefill, i, ids + produced[i][:read], read)
        self.stats.batches += 1
        self.stats.rows += len(rows)
        self.stats.max_batch_rows = max(self.stats.max_batch_rows, len(rows))
        self.stats.generated_tokens += sum(len(p) for p in produced)
        replies: list[list[int]] = [[] for _ in rows]  # back in request order
        for i, p in zip(prefill.order, produced, strict=True):
            replies[i] = p
        texts = [self.tokenizer.decode(p, skip_special_tokens=True) for p in replies]
        results, start = [], 0
        for r in requests:
            results.append(texts[start : start + len(r.rows)])
            start += len(r.rows)
        return results

    @torch.inference_mode()
    def _score_rows(self, requests: list[_Request]) -> list[list[float]]:
        """Sum of log-probabilities of each option after its prompt. Each prompt runs once (its uncached
        suffix only); then pass k runs every prompt's k-th option after it, in the same cache columns
        (rewound after each pass), so the prompts' keys and values are never copied per option."""
        width = max((len(o) for r in requests for o in r.rows), default=0)
        with self._lock:
            prefill = self._prefill([r.prefix for r in requests], extra=width)
            requests = [requests[i] for i in prefill.order]  # the batch's row order, for now
            scores = [[0.0] * len(r.rows) for r in requests]
            for i, r in enumerate(requests):
                self._remember(prefill, i, r.prefix)
            clock = time.perf_counter()
            first = torch.log_softmax(prefill.logits.float(), dim=-1)  # [R, V]: next-token log-probs
            cache, end = prefill.cache, prefill.cache.get_seq_length()
            mask = torch.cat([prefill.mask, torch.ones((len(requests), width), dtype=torch.long)], dim=1)
            position = prefill.next_position + torch.arange(width)  # [R, C]
            for k in range(max(len(r.rows) for r in requests) if width else 0):
                options = [r.rows[k] if k < len(r.rows) else [] for r in requests]
                tokens = torch.full((len(requests), width), self.pad_id, dtype=torch.long)  # [R, C], right-padded
                for i, row in enumerate(options):
                    tokens[i, : len(row)] = torch.tensor(row, dtype=torch.long)
                logits = self.model(
                    input_ids=tokens, attention_mask=mask, position_ids=position, cache=cache, use_cache=True
                ).logits  # [R, C, V]
                cache.focus(slice(None), end)  # the next option overwrites this one's columns
                logprobs = torch.log_softmax(logits.float(), dim=-1)
                for i, row in enumerate(options):
                    if not row:
                        continue
                    total = first[i, row[0]]
                    if len(row) > 1:
                        following = torch.tensor(row[1:]).unsqueeze(-1)  # [C-1, 1]
                        total = total + logprobs[i, : len(row) - 1].gather(-1, following).sum()
                    scores[i][k] = float(total)
            self.stats.options_s += time.perf_counter() - clock
        rows = sum(len(r.rows) for r in requests)
        self.stats.batches += 1
        self.stats.rows += rows
        self.stats.max_batch_rows = max(self.stats.max_batch_rows, rows)
        results: list[list[float]] = [[] for _ in requests]
        for i, row in zip(prefill.order, scores, strict=True):
            results[i] = row
        return results


NUCLEUS_SCAN = 64
"""Candidates looked at first for nucleus sampling; a row whose nucleus is wider sorts its whole vocabulary."""


def _sample_rows(
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


def _groups(lengths: list[int], keep: float = 0.75) -> list[slice]:
    """Split rows sorted by length (longest first) into runs whose every length is at least ``keep``
    times the run's first, so no run pads more than a quarter of its tokens."""
    groups, start = [], 0
    for i, n in enumerate(lengths):
        if n < keep * lengths[start]:
            groups.append(slice(start, i))
            start = i
    return [*groups, slice(start, len(lengths))]


def _rows(request: _Request) -> int:
    """Batch rows a request takes: one per reply, one per scored option. Counting options keeps score
    batches small, so the same seat's prompts in later batches find the earlier ones' common prefix."""
    return len(request.rows)


def _extra_stop_ids(tokenizer: PreTrainedTokenizerBase) -> set[int]:
    """Chat models end a turn with a special token that is not always the EOS (``<|im_end|>``)."""
    ids = set()
    for token in ("<|im_end|>", "<|eot_id|>", "<|end|>"):
        tid = tokenizer.convert_tokens_to_ids(token)
        if isinstance(tid, int) and tid != tokenizer.unk_token_id:
            ids.add(tid)
    return ids
