"""Local transformers backend that batches concurrent requests into one padded forward pass.

Many games await ``generate`` at once. Requests wait in a queue, and a worker task takes every
pending request (up to ``max_batch`` rows: one per reply, one per scored option), left-pads them
and decodes them together with a KV cache, then resolves each request's future. Each row samples
with its own ``torch.Generator`` seeded from the request, so a reply depends on its seed and prompt
and not on which batch it landed in (up to float rounding from padding).

A prompt's first tokens are often an earlier prompt's (a player's history only grows), so the
backend keeps the KV cache of recent prompts (:mod:`agents.llm.prefix_cache`) and runs only the
new suffix; a batch mixes rows with different cached lengths (layout: :mod:`agents.llm.batch_cache`).
Prompts of one batch that share a prefix nobody cached yet run it once first
(:mod:`agents.llm.shared_prefix`). ``score`` shares the same cache and scores all options of a prompt
in one pass over their token tree (:mod:`agents.llm.option_tree`). On CPU the prompt passes are
compute-bound and cost the same per token batched or not: batching pays in decoding, the caches in the
prompt tokens they never run.

``device`` puts the model and its caches on an accelerator (``"cuda"``); batches are still laid out on
the CPU and sent over per pass, and sampling stays on the CPU with each row's own ``torch.Generator``,
so a seed draws the same tokens from the same logits on any device.
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
from agents.llm.batch_cache import BatchCache, BufferPool
from agents.llm.option_tree import OptionTree, tree_batch, tree_scores
from agents.llm.prefix_cache import MIN_MATCH, PrefixCache, PrefixEntry
from agents.llm.sampling import sample_rows
from agents.llm.shared_prefix import plan_shared_prefixes
from agents.llm.stats import BackendStats


@dataclass
class _Request:
    kind: str  # "generate" | "score"
    rows: list[list[int]]  # generate: prompt ids per row; score: continuation ids per option (one row in all)
    future: asyncio.Future
    sampling: Sampling | None = None
    prefix: list[int] = field(default_factory=list)  # score: the prompt shared by every option


@dataclass
class _Prefill:
    """A batch after its prompts' forward pass."""

    cache: BatchCache
    mask: torch.Tensor  # [B, E] attention mask over the prompts' cache columns
    next_position: torch.Tensor  # [B, 1] position id of each row's next token
    logits: torch.Tensor  # [B, V] next-token logits after each prompt
    hits: list[tuple[PrefixEntry | None, int]]  # per row: the prefix-cache entry reused and its reused length
    spans: list[tuple[tuple[int, int], tuple[int, int]]]  # per row: cache columns of its past and of its suffix
    order: list[int]  # per row: the index of its prompt in the list given to ``_prefill``


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
        prefix_cache_gib: float = 4.0,
        device: str | torch.device = "cpu",
    ) -> None:
        """``prefix_cache_gib`` bounds the prefix cache (0 turns it off, and with it the sharing of
        prefixes within a batch); it fills as prompts come. SmolLM2-135M keeps 45 KiB of keys and
        values per token, so 4 GiB hold ~93k distinct tokens: 32 concurrent 7-player games reach
        ~5.4 GiB by their eighth speaking turn; with less, the least recently used histories go."""
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        use_grouped_sdpa(self.model)  # no repeated key/value heads in masked multi-token passes
        self.tokenizer = tokenizer
        self.name = name
        self.max_batch = max_batch
        self.max_prompt_tokens = max_prompt_tokens
        self.gather_s = gather_ms / 1000
        self.stats = BackendStats()
        self.prefix_cache = PrefixCache(int(prefix_cache_gib * 2**30))
        self._buffers = BufferPool()  # batch KV buffers, kept from batch to batch
        self.n_layers = model.config.get_text_config().num_hidden_layers
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.eos_ids = {tokenizer.eos_token_id} | _extra_stop_ids(tokenizer)
        self._queue: asyncio.Queue[_Request] | None = None
        self._worker: asyncio.Task | None = None
        self._lock = threading.Lock()  # the model runs in a worker thread; one batch at a time

    @classmethod
    def from_dir(cls, path: str | Path, dtype: torch.dtype = torch.float32, **kwargs) -> TransformersBackend:
        hf_logging.disable_progress_bar()  # a per-load bar would break the tournament's own progress bar
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
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
        """Serve the queue: scores first, as long as any are pending, then the replies to generate.

        A score (a vote, a night move) takes a few forward passes; a batch of replies takes one
        decoding pass per token (~5 s for 48 tokens of 32 rows on 2 cores). A game whose vote
        waited behind the replies would ask to speak only after them and sit out the next batch of
        replies as well; scored first, its next request (usually to speak) joins the batch about
        to start, so the batches of replies hold every game that has something to say."""
        assert self._queue is not None
        while True:
            batch = await self._gather([await self._queue.get()])
            while any(r.kind == "score" for r in batch):
                for take in self._chunks([r for r in batch if r.kind == "score"]):
                    await self._execute("score", take)
                batch = await self._gather([r for r in batch if r.kind != "score"])  # with what the scores led to
            for take in self._chunks(batch):
                await self._execute("generate", take)

    async def _gather(self, batch: list[_Request]) -> list[_Request]:
        """``batch`` and the requests that arrive until ``gather_ms`` pass without one (the other
        games' turns: each game renders and tokenizes its prompt before it asks), or until
        ``max_batch`` rows of one kind wait."""
        assert self._queue is not None
        while True:
            await asyncio.sleep(self.gather_s)
            if self._queue.empty():
                return batch
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            if any(sum(_rows(r) for r in batch if r.kind == kind) >= self.max_batch for kind in ("generate", "score")):
                return batch

    def _chunks(self, requests: list[_Request]) -> list[list[_Request]]:
        """``requests`` in arrival order, cut into batches of at most ``max_batch`` rows."""
        chunks: list[list[_Request]] = []
        rows = 0
        for r in requests:
            if not chunks or rows + _rows(r) > self.max_batch:
                chunks.append([])
                rows = 0
            chunks[-1].append(r)
            rows += _rows(r)
        return chunks

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
        """Run the prefixes that several prompts share and nobody cached yet, then every prompt's
        uncached suffix (:meth:`_run_prompts`)."""
        self._share_prefixes(prompts)
        return self._run_prompts(prompts, extra)

    def _share_prefixes(self, prompts: list[list[int]]) -> None:
        """Run each prefix that saves prompt tokens (:func:`plan_shared_prefixes`) once, level by level,
        and put it in the prefix cache, where the prompts' own lookups find it."""
        if len(prompts) < 2 or not self.prefix_cache.max_bytes:
            return
        clock = time.perf_counter()
        cached = [self.prefix_cache.lookup(ids)[1] for ids in prompts]
        levels = plan_shared_prefixes(prompts, cached, min_length=MIN_MATCH, min_gain=MIN_MATCH)
        self.stats.prefix_cache_s += time.perf_counter() - clock
        for level in levels:
            shared = self._run_prompts(level, extra=0, count=False)
            level_rows = [level[i] for i in shared.order]
            for row, tokens in enumerate(level_rows):
                self._remember(shared, row, tokens)
            self.stats.shared_prefixes += len(level)
            self.stats.shared_tokens += sum(len(x) - n for x, (_, n) in zip(level_rows, shared.hits, strict=True))

    def _run_prompts(self, prompts: list[list[int]], extra: int, count: bool = True) -> _Prefill:
        """Run every prompt's uncached suffix (layout: :mod:`agents.llm.batch_cache`), leaving ``extra``
        columns for the tokens that follow. Rows are ordered by suffix length, longest first
        (``_Prefill.order``), and run in groups of similar length: padding a 20-token suffix to a
        340-token one would cost as much as running it. ``count``: add the prompts to the stats."""
        clock = time.perf_counter()
        found = [self.prefix_cache.lookup(ids) for ids in prompts]
        order = sorted(range(len(prompts)), key=lambda i: found[i][1] - len(prompts[i]))
        hits = [found[i] for i in order]
        reused = [n for _, n in hits]
        suffixes = [prompts[i][n:] for i, n in zip(order, reused, strict=True)]
        groups = _groups([len(x) for x in suffixes])
        size = [len(suffixes[g.start]) for g in groups for _ in range(g.start, g.stop)]  # per row: its pass's width
        end = max(n + w for n, w in zip(reused, size, strict=True))  # every prompt ends at column ``end``
        ends = [end - w for w in size]  # per row: the column after its past
        pasts = [None if e is None else e.segments(n) for e, n in hits]
        cache = BatchCache(self.n_layers, pasts, ends, capacity=end + extra, pool=self._buffers)
        mask = torch.zeros((len(prompts), end), dtype=torch.long)  # [B, E]
        spans = []
        for i, (suffix, n) in enumerate(zip(suffixes, reused, strict=True)):
            mask[i, ends[i] - n : ends[i]] = 1
            mask[i, end - len(suffix) :] = 1
            spans.append(((ends[i] - n, ends[i]), (end - len(suffix), end)))
        mask = mask.to(self.device)
        self.stats.prefix_cache_s += time.perf_counter() - clock
        clock = time.perf_counter()
        logits = []
        for rows in groups:
            width = len(suffixes[rows.start])  # [rows, width]: this group's suffixes, left-padded
            ids = torch.full((rows.stop - rows.start, width), self.pad_id, dtype=torch.long)
            position = torch.zeros_like(ids)
            for r, (suffix, n) in enumerate(zip(suffixes[rows], reused[rows], strict=True)):
                ids[r, width - len(suffix) :] = torch.tensor(suffix, dtype=torch.long)
                position[r, width - len(suffix) :] = torch.arange(n, n + len(suffix))
            cache.focus(rows, end - width)
            out = self.model(
                input_ids=ids.to(self.device),
                attention_mask=mask[rows],
                position_ids=position.to(self.device),
                cache=cache,
                logits_to_keep=1,
            )
            logits.append(out.logits[:, -1, :])
        cache.focus(slice(None), end)
        self.stats.prefill_s += time.perf_counter() - clock
        if count:
            self.stats.prefix_lookups += len(prompts)
            self.stats.prefix_hits += sum(n > 0 for n in reused)
            self.stats.reused_tokens += sum(reused)
            self.stats.prefilled_tokens += sum(len(x) for x in suffixes)
        next_position = torch.tensor([[len(prompts[i])] for i in order], device=self.device)  # [B, 1]
        return _Prefill(cache, mask, next_position, torch.cat(logits), hits, spans, order)

    def _remember(self, prefill: _Prefill, row: int, tokens: list[int], read: int = 0) -> None:
        """Put row ``row``'s prompt, and the ``read`` reply tokens decoded after it, in the prefix cache."""
        (a, b), (c, d) = prefill.spans[row]
        entry, reused = prefill.hits[row]
        clock = time.perf_counter()
        spans = [(c, d + read)] if entry is not None and reused else [(a, b), (c, d + read)]
        self.prefix_cache.insert(tokens, prefill.cache.row(row, spans), entry, reused)
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
            cache.focus(slice(None), mask.shape[1], whole=True)  # steps read one contiguous buffer (batch_cache)
            for _ in range(max(budget, default=0)):
                clock = time.perf_counter()
                tokens = sample_rows(logits.cpu(), settings, generators, done, self.pad_id)
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
                step = torch.tensor(tokens, dtype=torch.long, device=self.device).unsqueeze(1)  # [B, 1]
                mask = torch.cat([mask, torch.ones_like(step)], dim=1)
                logits = self.model(
                    input_ids=step, attention_mask=mask, position_ids=next_pos, cache=cache, use_cache=True
                ).logits[:, -1, :]
                next_pos, steps = next_pos + 1, steps + 1
                self.stats.decode_rows += len(rows)
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
        suffix only); then one pass runs every prompt's options as a token tree in the cache columns
        after it (:mod:`agents.llm.option_tree`): each shared option token once, every option at once."""
        trees = [OptionTree.build(r.rows) for r in requests]
        width = max(len(t) for t in trees)
        with self._lock:
            prefill = self._prefill([r.prefix for r in requests], extra=width)
            trees = [trees[i] for i in prefill.order]  # the batch's row order, for now
            for i, i_request in enumerate(prefill.order):
                self._remember(prefill, i, requests[i_request].prefix)
            clock = time.perf_counter()
            first = torch.log_softmax(prefill.logits.float(), dim=-1)  # [R, V]: next-token log-probs
            logprobs = first.unsqueeze(1)  # [R, 1, V]; replaced when some option has a token after its first
            if width:
                dtype = next(self.model.parameters()).dtype
                batch = tree_batch(trees, prefill.mask.cpu(), prefill.next_position.cpu(), self.pad_id, dtype)
                logits = self.model(
                    input_ids=batch.ids.to(self.device),
                    attention_mask=batch.mask.to(self.device),
                    position_ids=batch.position.to(self.device),
                    cache=prefill.cache,
                    use_cache=True,
                    logits_to_keep=torch.arange(batch.keep, device=self.device),
                ).logits  # [R, keep, V]
                logprobs = torch.log_softmax(logits.float(), dim=-1)
            scores = tree_scores(trees, first, logprobs)
            self.stats.options_s += time.perf_counter() - clock
        rows = len(requests)
        self.stats.batches += 1
        self.stats.rows += rows
        self.stats.max_batch_rows = max(self.stats.max_batch_rows, rows)
        results: list[list[float]] = [[] for _ in requests]
        for i, row in zip(prefill.order, scores, strict=True):
            results[i] = row
        return results


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
    """Batch rows a request takes: one per reply; a scored prompt takes one whatever its options."""
    return len(request.rows) if request.kind == "generate" else 1


def _extra_stop_ids(tokenizer: PreTrainedTokenizerBase) -> set[int]:
    """Chat models end a turn with a special token that is not always the EOS (``<|im_end|>``)."""
    ids = set()
    for token in ("<|im_end|>", "<|eot_id|>", "<|end|>"):
        tid = tokenizer.convert_tokens_to_ids(token)
        if isinstance(tid, int) and tid != tokenizer.unk_token_id:
            ids.add(tid)
    return ids
