"""Published or typical parameters of every registered law, and covariates to evaluate them on.

Shared by the law tests and by tests that simulate run tables from each family.
"""

import numpy as np

# Published or typical parameter values for each family.
TRUTHS = {
    "chinchilla": dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28),
    "kaplan_joint": dict(N_c=8.8e13, D_c=5.4e13, alpha_N=0.076, alpha_D=0.095),
    # Muennighoff et al.'s fit, from its log-space values a=6.255414, b=7.3049974, e=0.6254804.
    "data_constrained": dict(
        E=np.exp(0.6254804),
        A=np.exp(6.255414),
        B=np.exp(7.3049974),
        alpha=0.3526596,
        beta=0.3526596,
        R_D_star=15.387756,
        R_N_star=5.309743,
    ),
    "parscale": dict(E=1.7, A=1.0e8, alpha=0.2, k=0.4),
    # Kaplan et al.'s Table 5 constants.
    "kaplan_batch": dict(
        N_c=8.8e13, alpha_N=0.076, S_c=2.1e3, alpha_S=0.76, B_star=2.0e8, alpha_B=0.21
    ),
    "m4": dict(L_inf=1.8, L_0=6.0, alpha=1.5, beta=3.0e3, c=-0.4),
    "learning_curve_regimes": dict(E=1.8, L_p=6.0, X_0=1e9, alpha=0.5),
    "power_law": dict(E=1.7, A=1.0e3, alpha=0.15),
    "broken_power_law": dict(E=1.5, A=30.0, c0=0.05, c1=0.1, d1=1e19, f1=0.3),
    # Gadre et al.'s RedPajama fit (code_alpha=166.2, code_beta=366.7, code_b=-0.2729, E=1.8366).
    "overtraining": dict(E=1.8366, a=166.2 * 6**0.13645, b=366.7, eta=0.13645),
    # Gadre et al.'s 17-task fit on RedPajama, C4 eval loss.
    "downstream_error": dict(epsilon=0.8570, k=2.206, gamma=0.7146),
    # Li et al. (2025), eq. 1: the Step Law optimal learning rate.
    "optimal_hyperparameters": dict(A=1.79, b_N=-0.713, b_D=0.307),
}


def covariate_grid(size: int = 50, seed: int = 0) -> dict[str, np.ndarray]:
    """``size`` random points covering every covariate a registered law reads."""
    rng = np.random.default_rng(seed)
    N = np.exp(rng.uniform(np.log(1e7), np.log(1e11), size))
    D = np.exp(rng.uniform(np.log(1e8), np.log(1e13), size))
    # Losses for laws of downstream error, drawn after N and D so those stay as they were.
    grid = {"N": N, "D": D, "C": 6 * N * D, "loss": rng.uniform(2.0, 5.0, size)}
    # Covariates beyond N, D and C, drawn last for the same reason: unique tokens (mostly
    # repeated, some runs seeing fewer than are available), parallel streams, steps and batch.
    grid["U"] = D / 10 ** rng.uniform(-0.5, 2.5, size)
    grid["P"] = 2.0 ** rng.integers(0, 4, size)
    grid["S"] = 10 ** rng.uniform(3, 5.5, size)
    grid["B"] = 10 ** rng.uniform(5, 7, size)
    return grid
