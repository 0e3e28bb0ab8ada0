"""Chains that sampled different modes, weighted by stacking.

A multimodal posterior (a broken power law whose break can sit early, flattening toward a low
floor, or late, steepening toward a high one) leaves NUTS chains stuck in different modes. Pooling
them weights each mode by how many chains happened to start near it, not by its mass. Following
Yao, Vehtari and Gelman (2022), each chain is treated as its own approximation and the chains are
stacked on their pointwise PSIS-LOO predictive densities, so a mode enters the predictions in
proportion to how well it predicts the runs left out.

References
----------
.. [1] Yao, Y., Vehtari, A. and Gelman, A. (2022). Stacking for non-mixing Bayesian computations:
   the curse and blessing of multimodal posteriors. Journal of Machine Learning Research 23(79).
"""

import numpy as np
import xarray as xr

from workbench.predict.compare import psis_loo, stacking_weights

MIN_CHAIN_DRAWS = 100
"""Fewer draws per chain give each chain's PSIS-LOO too few tail draws to weigh chains by."""


def chain_stacking_weights(posterior: xr.Dataset, log_likelihood: xr.Dataset) -> np.ndarray | None:
    """One weight per chain: stacking of the chains' own PSIS-LOO pointwise densities; None
    when no chain moved enough to estimate them."""
    pointwise = {}
    for chain in range(posterior.sizes["chain"]):
        one = {"posterior": posterior.isel(chain=[chain])}
        one["log_likelihood"] = log_likelihood.isel(chain=[chain])
        try:
            pointwise[chain] = np.ravel(psis_loo(xr.DataTree.from_dict(one)).elpd_i.values)
        except ValueError:
            # A chain stuck at one point leaves PSIS no tail to fit ("All tail values are the
            # same"): it approximates no posterior mass, so it gets no weight.
            continue
    if not pointwise:
        return None
    log_density = np.column_stack(list(pointwise.values()))
    weights = np.zeros(posterior.sizes["chain"])
    weights[list(pointwise)] = stacking_weights(log_density, np.ones(log_density.shape[0]))
    return weights


def modes_message(weights) -> str:
    """What a fit whose chains were weighted says about them."""
    shares = ", ".join(f"{weight:.2f}" for weight in weights)
    return (
        "its chains sampled different modes; predictions weight the chains by stacking their "
        f"leave-one-out fit ({shares})"
    )


def weighted_draw_index(weights, draws_per_chain: int) -> np.ndarray:
    """Indices into the chain-major flattened draws that give each chain its weight's share of
    all draws (largest remainders rounded up), spread evenly along each chain; a chain with
    more than its own draws' share repeats them."""
    weights = np.asarray(weights, dtype=float)
    total = weights.size * draws_per_chain
    share = weights / weights.sum() * total
    counts = np.floor(share).astype(int)
    counts[np.argsort(counts - share)[: total - counts.sum()]] += 1
    return np.concatenate(
        [
            chain * draws_per_chain + (np.arange(count) * draws_per_chain) // count
            for chain, count in enumerate(counts)
            if count
        ]
    )


def pooled_chains(group: xr.Dataset, draw_index: np.ndarray | slice) -> xr.Dataset:
    """A group's draws at ``draw_index`` of its chain-major flattened draws, as one chain."""
    pooled = group.stack(sample=("chain", "draw")).isel(sample=draw_index)
    pooled = pooled.drop_vars(["sample", "chain", "draw"]).rename(sample="draw")
    return pooled.expand_dims("chain").transpose("chain", "draw", ...)
