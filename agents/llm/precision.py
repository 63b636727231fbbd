"""The dtype a local backend's ``dtype: auto`` picks: bfloat16 where the device computes it natively,
float32 elsewhere.

SmolLM2 and most recent chat models are trained and released in bfloat16; vLLM's and transformers'
``auto`` likewise load a model in its own half precision. On CPU only instructions for it make it pay:
with AVX512-BF16 (2 cores here), 32 concurrent Werewolf games ran 1.5-1.9x faster than in float32 and
one game 1.4-1.6x over the batching benchmark's runs, with half the KV-cache memory, and the embedded
model won as often (README, "Device and precision"); without them PyTorch emulates bfloat16 and float32
is the faster choice. Training (DPO) loads its own float32 copy whatever the backend runs.
"""

from __future__ import annotations

import torch

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_dtype(name: str, device: str | torch.device) -> torch.dtype:
    """The torch dtype for a config's ``dtype`` (``auto`` or a name in :data:`DTYPES`) on ``device``."""
    if name != "auto":
        return DTYPES[name]
    return torch.bfloat16 if native_bfloat16(torch.device(device)) else torch.float32


def native_bfloat16(device: torch.device) -> bool:
    """Whether ``device`` has bfloat16 arithmetic of its own (not emulated through float32)."""
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":  # x86 AVX512-BF16 or AMX; private probes, hence the guarded lookups
        probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)
    return False  # mps and others: float32, the measured default
