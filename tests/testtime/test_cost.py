"""The test-time cost models against hand computations for a stated model shape."""

import pytest

from workbench.testtime import QWEN3, Architecture, cost, flops_cost, kinetics_cost, kinetics_terms

# A Qwen-like dense model: 32 layers, width 4096, 32 heads of width 128, 8 KV heads, 8e9
# parameters, writing 8,192 tokens (2^13) after a 1,024-token prompt (2^10) on a B200 (I = 562.5).
QWEN_LIKE = Architecture("Qwen-like 8B", 8e9, layers=32, width=4096, heads=32, kv_heads=8)
PROMPT, TOKENS = 1024, 8192


def test_architecture_constants_by_hand():
    # D = 2 (K and V) × 32 layers × 8 KV heads × 128 = 65,536 = 2^16; r = 32 / 8 = 4.
    assert QWEN_LIKE.kv_elements_per_token == 65_536
    assert QWEN_LIKE.gqa_ratio == 4
    # Qwen3-0.6B sets head_dim 128 apart from width / heads = 64: D = 2 × 28 × 8 × 128.
    assert QWEN3["Qwen3-0.6B"].kv_elements_per_token == 57_344


def test_one_trial_by_hand():
    terms = kinetics_terms(QWEN_LIKE, TOKENS, samples=1, prompt_tokens=PROMPT)
    # Linear modules: 2 n P L_out = 2 × 1 × 8e9 × 8192 = 1.31072e14.
    assert terms["linear"] == pytest.approx(1.31072e14)
    assert flops_cost(QWEN_LIKE, TOKENS) == pytest.approx(1.31072e14)
    # Attention: 2 r n L_in D L_out + r n D L_out^2
    #   = 2·4·2^10·2^16·2^13 + 4·2^16·2^26 = 2^42 + 2^44 = 5 × 2^42 = 21,990,232,555,520.
    assert terms["attention"] == pytest.approx(21_990_232_555_520)
    # KV access: I (2 L_in D L_out + n D L_out^2) = 562.5 (2^40 + 2^42) = 562.5 × 5 × 2^40
    #   = 3,092,376,453,120,000.
    assert terms["kv_memory"] == pytest.approx(3_092_376_453_120_000)
    # eFLOPs = 1.31072e14 + 2.199e13 + 3.0924e15 = 3.2454e15: 24.8 times the FLOPs-only cost.
    total = kinetics_cost(QWEN_LIKE, TOKENS, prompt_tokens=PROMPT)
    assert total == pytest.approx(1.31072e14 + 21_990_232_555_520 + 3_092_376_453_120_000)
    assert total / flops_cost(QWEN_LIKE, TOKENS) == pytest.approx(24.76, abs=0.01)


def test_eight_trials_share_the_prompt_by_hand():
    terms = kinetics_terms(QWEN_LIKE, TOKENS, samples=8, prompt_tokens=PROMPT)
    # Linear and attention grow 8x; the prompt's KV is read once for all eight trials:
    # I (2 L_in D L_out + 8 D L_out^2) = 562.5 (2^40 + 2^45) = 562.5 × 33 × 2^40.
    assert terms["linear"] == pytest.approx(8 * 1.31072e14)
    assert terms["attention"] == pytest.approx(8 * 5 * 2**42)
    assert terms["kv_memory"] == pytest.approx(562.5 * 33 * 2**40)


def test_cost_selects_the_model_and_refuses_unknown_ones():
    assert cost(QWEN_LIKE, TOKENS, model="flops") == flops_cost(QWEN_LIKE, TOKENS)
    with pytest.raises(ValueError, match="valid: flops, kinetics"):
        cost(QWEN_LIKE, TOKENS, model="latency")
    with pytest.raises(ValueError, match="multiple of kv_heads"):
        Architecture("odd", 1e9, layers=2, width=64, heads=6, kv_heads=4)
