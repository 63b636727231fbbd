"""LLM batching: tokens/s and Werewolf speaking turns/s with 1 game vs 32 concurrent games.

Same model, same run, same agents: every seat of 7-player Werewolf is an :class:`LLMAgent` on one
shared :class:`TransformersBackend` (the embedded SmolLM2-135M-Instruct by default). With one game
the backend sees one request at a time; with 32 games it gathers the pending requests of all games
into padded batches. The single-game setting plays ``--single-games`` games one after another
(seeds ``0..n-1``): one game's replies run into retries more or less often by chance, and a few games
steady the baseline. The figure of merit is throughput over the same kind of turns: every game, alone
or among 32, plays its first ``--turns`` speaking turns (with the night, vote and retry requests
between them), so both settings cover the same phases of a game, the cold start included in the same
proportion. The machine's speed drifts by up to a fifth over minutes (a shared VM), so the single
games bracket the concurrent ones: the first half of them runs before, the second half after, and the
baseline is their sum; both halves are printed, so a drift shows. Both settings use the backend's
prefix cache (emptied before each setting, so neither reuses the other's prompts); the report shows
its hit rate, how many prompt tokens it saved from the model, and the prefixes that prompts of one
batch shared. Both settings run in the dtype a backend config's ``dtype: auto`` picks
(:mod:`agents.llm.precision`: bfloat16 on a CPU with bf16 instructions, else float32) unless ``--dtype`` names one.

    python -m benchmarks.llm_batching [--turns 8] [--concurrency 32] [--single-games 4] [--dtype auto] [--device cpu]

Last line: ``RESULT tokens_per_s_1=... tokens_per_s_32=... turns_per_s_1=... turns_per_s_32=... ratio=...``
(``ratio`` = tokens/s at 32 over tokens/s at 1; ``cpu_ratio`` the same per CPU second of this
process, a check when other work shares the cores).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import time
from dataclasses import dataclass

import numpy as np
import torch

from agents.llm.agent import LLMAgent
from agents.llm.local import TransformersBackend
from agents.llm.precision import DTYPES, resolve_dtype
from agents.llm.stats import BackendStats
from games.werewolf import WerewolfConfig, WerewolfSession


@dataclass
class Throughput:
    games: int
    turns: int
    seconds: float
    cpu_seconds: float  # this process's CPU time (all threads): less distorted than wall time on a busy machine
    stats: BackendStats  # the backend's counters over this setting alone
    cache: str = ""  # the prefix cache at the end of this setting

    @property
    def tokens(self) -> int:
        return self.stats.generated_tokens

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds

    @property
    def turns_per_s(self) -> float:
        return self.turns / self.seconds

    def prefix_line(self) -> str:
        s = self.stats
        return (
            f"prefix cache: {s.prefix_hits}/{s.prefix_lookups} prompts hit ({s.prefix_hit_rate:.0%}), "
            f"{s.reused_tokens} prompt tokens reused, {s.prefilled_tokens} prefilled ({s.reused_fraction:.0%} reused); "
            f"{s.shared_prefixes} shared prefixes ran {s.shared_tokens} tokens once for their batch; "
            f"{s.batches} batches, {s.rows / max(s.batches, 1):.1f} rows each; decoding passes ran "
            f"{s.decode_rows} rows for {s.generated_tokens} tokens"
        )

    def time_line(self) -> str:
        s = self.stats
        parts = {
            "prefill": s.prefill_s,
            "decode": s.decode_s,
            "sampling": s.sampling_s,
            "score options": s.options_s,
            "prefix cache": s.prefix_cache_s,
        }
        other = self.seconds - sum(parts.values())
        listed = ", ".join(f"{name} {t:.1f} s ({t / self.seconds:.0%})" for name, t in parts.items())
        return f"time: {listed}, other {other:.1f} s ({other / self.seconds:.0%})"


async def play_turns(backend: TransformersBackend, seed: int, turns: int, tokens: int) -> int:
    """Play game ``seed`` up to its ``turns``-th speaking turn (or its end, then the next game from the
    next seed, so every worker makes exactly ``turns``); returns the speaking turns made."""
    made = 0
    while made < turns:
        session = WerewolfSession(WerewolfConfig(), seed)
        agents = {
            p: LLMAgent(p, backend, np.random.default_rng([seed, i]), speech_tokens=tokens)
            for i, p in enumerate(session.players)
        }
        while not session.is_over() and made < turns:
            actors = session.to_act()
            speaking = session.legal(actors[0]) is None
            actions = await asyncio.gather(*(agents[p].act(session.observe(p)) for p in actors))
            for player, action in zip(actors, actions, strict=True):
                session.step(player, action)
            if speaking:
                made += 1
        seed += 1000
    return made


async def measure(
    backend: TransformersBackend, seeds: range, turns: int, tokens: int, one_at_a_time: bool = False
) -> Throughput:
    """The games of ``seeds``, each up to its ``turns``-th speaking turn: all at once, or ``one_at_a_time``."""
    backend.prefix_cache.clear()  # no setting starts with another's prompts
    before = copy.copy(backend.stats)
    start, cpu = time.perf_counter(), time.process_time()
    if one_at_a_time:
        made = [await play_turns(backend, seed, turns, tokens) for seed in seeds]
    else:
        made = await asyncio.gather(*(play_turns(backend, seed, turns, tokens) for seed in seeds))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    cache = backend.prefix_cache
    held = f"{len(cache)} entries, {cache.nbytes / 2**30:.2f} GiB, {cache.evictions} evictions in all"
    return Throughput(len(seeds), sum(made), seconds, cpu, backend.stats.since(before), held)


def combined(a: Throughput, b: Throughput) -> Throughput:
    """Two runs of one setting as one: their games, turns, times and counters added; the later run's cache."""
    total = (a.games + b.games, a.turns + b.turns, a.seconds + b.seconds, a.cpu_seconds + b.cpu_seconds)
    return Throughput(*total, a.stats + b.stats, b.cache)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="local model directory (default: the embedded model)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--turns", type=int, default=8, help="speaking turns per game, in both settings")
    parser.add_argument("--single-games", type=int, default=4, help="games played one after another alone")
    parser.add_argument("--speech-tokens", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument(
        "--prefix-cache-gib", type=float, default=8.0, help="prefix cache budget; 32 games of 8 turns hold 3.5 (fp32)"
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N (the model and its caches)")
    parser.add_argument(
        "--dtype", default="auto", choices=("auto", *DTYPES), help="auto: the backend config's default (precision.py)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    options = {
        "max_batch": args.concurrency,
        "prefix_cache_gib": args.prefix_cache_gib,
        "device": args.device,
        "dtype": resolve_dtype(args.dtype, args.device),
    }
    backend = (
        TransformersBackend.from_dir(args.model, **options) if args.model else TransformersBackend.embedded(**options)
    )
    asyncio.run(measure(backend, range(1), 2, 8))  # warm-up: first-call allocations, kernel selection
    half = args.single_games // 2
    alone = [range(half), range(half, args.single_games)]  # before and after the concurrent games
    before = asyncio.run(measure(backend, alone[0], args.turns, args.speech_tokens, one_at_a_time=True))
    batched = asyncio.run(measure(backend, range(args.concurrency), args.turns, args.speech_tokens))
    after = asyncio.run(measure(backend, alone[1], args.turns, args.speech_tokens, one_at_a_time=True))
    single = combined(before, after) if half else after
    cuda = backend.device.type == "cuda"
    where = torch.cuda.get_device_name(backend.device) if cuda else f"{args.threads} torch threads"
    dtype = str(options["dtype"]).removeprefix("torch.")
    print(f"model {backend.name} ({dtype}), 7-player Werewolf, every seat an LLM agent, on {where}")
    print(f"{'setting':<24}{'turns':>7}{'tokens':>8}{'seconds':>9}{'tokens/s':>10}{'turns/s':>9}{'CPU s':>8}")
    settings = [(f"1 game ({args.single_games} in turn)", single), (f"{args.concurrency} concurrent games", batched)]
    if half:
        settings[1:1] = [(f"  {len(alone[0])} before", before), (f"  {len(alone[1])} after", after)]
    for label, r in settings:
        print(
            f"{label:<24}{r.turns:>7}{r.tokens:>8}{r.seconds:>9.1f}{r.tokens_per_s:>10.1f}{r.turns_per_s:>9.3f}"
            f"{r.cpu_seconds:>8.0f}"
        )
    ratio = batched.tokens_per_s / single.tokens_per_s
    cpu_ratio = (batched.tokens / batched.cpu_seconds) / (single.tokens / single.cpu_seconds)
    for label, r in (("1 game", single), (f"{args.concurrency} games", batched)):
        print(f"{label}: {r.prefix_line()}")
        print(f"{label}: {r.time_line()}")
    print(
        f"largest batch: {backend.stats.max_batch_rows} rows; prefix cache after the {args.concurrency} games: "
        f"{batched.cache}"
    )
    print(f"throughput ratio (tokens/s): {ratio:.2f}x; per CPU second: {cpu_ratio:.2f}x")
    print(
        f"RESULT tokens_per_s_1={single.tokens_per_s:.2f} tokens_per_s_{args.concurrency}={batched.tokens_per_s:.2f} "
        f"turns_per_s_1={single.turns_per_s:.3f} turns_per_s_{args.concurrency}={batched.turns_per_s:.3f} "
        f"ratio={ratio:.2f} turns_ratio={batched.turns_per_s / single.turns_per_s:.2f} cpu_ratio={cpu_ratio:.2f}"
    )


if __name__ == "__main__":
    main()
