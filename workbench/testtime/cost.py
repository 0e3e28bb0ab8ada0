r"""What test-time scaling costs: FLOPs alone, or the Kinetics cost with the KV cache's memory.

For ``samples`` = n reasoning trials of ``tokens`` = L_out generated tokens each after a prompt of
L_in tokens, on a model of P parameters with a GQA ratio r (query heads per KV head) and D KV
elements per token, Sadhukhan et al. (2025, eq. 4) count

.. math::

    C_\text{comp} &= 2nPL_\text{out} + 2rnL_\text{in}DL_\text{out} + rnDL_\text{out}^2 \\
    C_\text{mem} &= 2L_\text{in}DL_\text{out} + nDL_\text{out}^2 \\
    \text{eFLOPs} &= C_\text{comp} + I\,C_\text{mem}

with I the hardware's arithmetic intensity (peak FLOPs over memory bandwidth). Reading the
formula back to the architecture: D = 2 · layers · KV heads · head width (keys and values), each
generated token's attention costs 2r·D FLOPs per token of context, and the memory term counts
bytes of 16-bit KV entries (2 per element), the prompt's shared by the n trials. Parameters are
read from memory once per batch, which at the large batches of test-time scaling is negligible,
so C_mem holds the KV cache alone.

The FLOPs-only cost of earlier compute-optimal work is the linear modules' 2nPL_out.

References
----------
Sadhukhan, Chen, Zheng, Zhou, Strubell and Chen (2025), "Kinetics: Rethinking Test-Time Scaling
Laws", arXiv:2506.05333, section 3 (the cost model) and eq. 4.
"""

from dataclasses import dataclass

import numpy as np

B200_INTENSITY = 562.5
"""The arithmetic intensity the paper uses for an NVIDIA B200 (FLOPs per byte)."""
DEFAULT_PROMPT_TOKENS = 1024


@dataclass(frozen=True)
class Architecture:
    """The shape of a dense transformer that its test-time cost depends on.

    ``head_dim`` defaults to ``width / heads``; Qwen3 sets it apart (128 at every size).
    """

    name: str
    parameters: float
    layers: int
    width: int
    heads: int
    kv_heads: int
    head_dim: int | None = None

    def __post_init__(self):
        for field in ("parameters", "layers", "width", "heads", "kv_heads"):
            if not getattr(self, field) > 0:
                raise ValueError(f"{field} must be positive, got {getattr(self, field)}")
        if self.heads % self.kv_heads:
            raise ValueError(f"heads ({self.heads}) must be a multiple of kv_heads")

    @property
    def gqa_ratio(self) -> int:
        """Query heads per KV head (r)."""
        return self.heads // self.kv_heads

    @property
    def kv_elements_per_token(self) -> int:
        """Keys and values of one token over all layers (D)."""
        head_dim = self.head_dim or self.width // self.heads
        return 2 * self.layers * self.kv_heads * head_dim


# From the models' config.json on Hugging Face (num_hidden_layers, hidden_size,
# num_attention_heads, num_key_value_heads, head_dim); parameters are the names' sizes.
QWEN3 = {
    arch.name: arch
    for arch in (
        Architecture("Qwen3-0.6B", 0.6e9, 28, 1024, 16, 8, 128),
        Architecture("Qwen3-1.7B", 1.7e9, 28, 2048, 16, 8, 128),
        Architecture("Qwen3-4B", 4e9, 36, 2560, 32, 8, 128),
        Architecture("Qwen3-8B", 8e9, 36, 4096, 32, 8, 128),
        Architecture("Qwen3-14B", 14e9, 40, 5120, 40, 8, 128),
        Architecture("Qwen3-32B", 32e9, 64, 5120, 64, 8, 128),
    )
}


def flops_cost(arch: Architecture, tokens, samples=1):
    """The linear modules' FLOPs, 2·n·P·L_out: the cost that counts parameters only."""
    return 2.0 * np.asarray(samples) * arch.parameters * np.asarray(tokens, dtype=float)


def kinetics_terms(
    arch: Architecture,
    tokens,
    samples=1,
    prompt_tokens=DEFAULT_PROMPT_TOKENS,
    intensity=B200_INTENSITY,
) -> dict:
    """The eFLOPs of eq. 4 by part: ``linear``, ``attention`` (compute) and ``kv_memory``
    (I times the bytes read)."""
    tokens = np.asarray(tokens, dtype=float)
    samples = np.asarray(samples, dtype=float)
    kv, ratio = arch.kv_elements_per_token, arch.gqa_ratio
    return {
        "linear": flops_cost(arch, tokens, samples),
        "attention": ratio * samples * kv * tokens * (2.0 * prompt_tokens + tokens),
        "kv_memory": intensity * kv * tokens * (2.0 * prompt_tokens + samples * tokens),
    }


def kinetics_cost(
    arch: Architecture,
    tokens,
    samples=1,
    prompt_tokens=DEFAULT_PROMPT_TOKENS,
    intensity=B200_INTENSITY,
):
    """eFLOPs = C_comp + I·C_mem (Sadhukhan et al. 2025, eq. 4)."""
    return sum(kinetics_terms(arch, tokens, samples, prompt_tokens, intensity).values())


COST_MODELS = {"flops": "FLOPs only (2nPL)", "kinetics": "Kinetics eFLOPs (+ attention, KV)"}


def cost(arch: Architecture, tokens, samples=1, *, model: str = "kinetics", **options):
    """The cost under ``model``: ``"flops"`` or ``"kinetics"`` (options go to the latter)."""
    if model == "flops":
        return flops_cost(arch, tokens, samples)
    if model == "kinetics":
        return kinetics_cost(arch, tokens, samples, **options)
    raise ValueError(f"unknown cost model {model!r}; valid: {', '.join(COST_MODELS)}")
