"""The local backend off the CPU: the backend config carries ``device`` and ``dtype`` to the model, and on a
CUDA device (tests marked ``gpu``, skipped without one) batched greedy replies and option scores equal the
CPU's for the same tiny GPT-2."""

from __future__ import annotations

import asyncio

import pytest
import torch
from pydantic import ValidationError

from agents.llm.backend import Sampling, prompt
from agents.llm.config import LocalBackend, shared_backend
from agents.llm.local import TransformersBackend
from agents.llm.precision import resolve_dtype

pytest_plugins = ("tests.llm_fixtures",)

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_device_and_dtype_reach_the_model(tiny_model_dir):
    backend = shared_backend(LocalBackend(type="local", path=str(tiny_model_dir), device="cpu", dtype="bfloat16"))
    assert backend.device == torch.device("cpu")
    assert next(backend.model.parameters()).dtype == torch.bfloat16
    with pytest.raises(ValidationError, match="device"):
        LocalBackend(type="local", path=str(tiny_model_dir), device="gpu0")
    with pytest.raises(ValidationError, match="dtype"):
        LocalBackend(type="local", path=str(tiny_model_dir), dtype="float8")


def test_bfloat16_backend_generates_and_scores(tiny_model_dir):
    backend = TransformersBackend.from_dir(tiny_model_dir, dtype=torch.bfloat16)
    p = prompt(("user", "Vote for player_1 or player_2."))

    async def both():
        return await backend.generate(p, Sampling(max_new_tokens=5, temperature=0.0)), await backend.score(
            p, ["player_1", "player_2"]
        )

    (reply,), scores = asyncio.run(both())
    assert isinstance(reply, str) and len(scores) == 2 and all(s < 0 for s in scores)


@pytest.mark.gpu
@cuda
def test_cuda_replies_and_scores_equal_the_cpus(tiny_model_dir):
    prompts = [prompt(("user", f"{'history line. ' * (i * 7)}Vote: player_{i}?")) for i in range(12)]
    options = ["player_1", "player_12", "abstain"]

    async def run(backend):
        greedy = Sampling(max_new_tokens=8, temperature=0.0)
        replies = await asyncio.gather(*(backend.generate(p, greedy) for p in prompts))
        again = await asyncio.gather(*(backend.generate(p, greedy) for p in prompts))  # prefix-cache hits
        scores = await asyncio.gather(*(backend.score(p, options) for p in prompts))
        sampled = await asyncio.gather(
            *(backend.generate(p, Sampling(max_new_tokens=8, temperature=0.9, seed=i)) for i, p in enumerate(prompts))
        )
        return replies, again, scores, sampled

    cpu = asyncio.run(run(TransformersBackend.from_dir(tiny_model_dir)))
    gpu_backend = TransformersBackend.from_dir(tiny_model_dir, device="cuda")
    gpu = asyncio.run(run(gpu_backend))
    assert next(gpu_backend.model.parameters()).is_cuda
    assert gpu[0] == cpu[0] and gpu[1] == cpu[0]
    for mine, theirs in zip(gpu[2], cpu[2], strict=True):
        assert mine == pytest.approx(theirs, abs=1e-3)
    assert all(len(r) == 1 for r in gpu[3])  # sampling draws on the CPU from the device's logits


def test_auto_dtype_is_bfloat16_only_where_the_device_computes_it(monkeypatch):
    assert resolve_dtype("float32", "cpu") == torch.float32 and resolve_dtype("float16", "cpu") == torch.float16
    assert resolve_dtype("auto", "mps") == torch.float32
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    assert resolve_dtype("auto", "cpu") == torch.bfloat16
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert resolve_dtype("auto", "cpu") == torch.float32
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported")  # a torch without the probe: float32
    assert resolve_dtype("auto", "cpu") == torch.float32


def test_the_config_default_is_auto_and_reaches_the_model(tiny_model_dir, monkeypatch):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    config = LocalBackend(type="local", path=str(tiny_model_dir), max_batch=3)  # distinct from other tests' configs
    assert config.dtype == "auto" and config.backend_kwargs()["dtype"] == torch.bfloat16
    backend = shared_backend(config)
    assert next(backend.model.parameters()).dtype == torch.bfloat16
