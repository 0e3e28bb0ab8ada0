"""One case per registered law, read by every test of the families: a new family is its module
in ``workbench/laws`` plus one entry in ``CASES``.

A case holds the law's formula written out in NumPy from its paper (independent of the package),
published or typical parameter values to evaluate it at, and a design to simulate runs from and
recover the parameters with NUTS (and designs of variants that the family's options select).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize


@dataclass(frozen=True)
class RecoveryDesign:
    """True parameters, covariate ranges (log10 bounds) and the law's options."""

    truth: dict[str, float]
    log10_ranges: dict[str, tuple[float, float]]
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LawCase:
    reference: Callable[..., np.ndarray]
    values: dict[str, float]
    recovery: RecoveryDesign
    variants: dict[str, RecoveryDesign] = field(default_factory=dict)
    """Designs of variants the family's options select, keyed by the variant's label."""


def chinchilla_reference(N, D, E, A, B, alpha, beta):
    return E + A / N**alpha + B / D**beta


def kaplan_joint_reference(N, D, N_c, D_c, alpha_N, alpha_D):
    return ((N_c / N) ** (alpha_N / alpha_D) + D_c / D) ** alpha_D


def power_law_reference(C, E, A, alpha):
    return E + A * C**-alpha


def broken_power_law_reference(C, E, A, c0, c1, d1, f1):
    # Caballero et al. (2023), eq. 1 with one break: y = a + b x^-c0 (1 + (x/d1)^(1/f1))^(-c1 f1).
    return E + A * C ** (-c0) * (1 + (C / d1) ** (1 / f1)) ** (-c1 * f1)


def overtraining_reference(N, D, E, a, b, eta):
    # Gadre et al. (2024), eq. 3, with C = 6ND and M = D/N.
    C, M = 6 * N * D, D / N
    return E + (a * M**eta + b * M ** (-eta)) * C ** (-eta)


def downstream_error_reference(loss, epsilon, k, gamma):
    # Gadre et al. (2024), eq. 4.
    return epsilon - k * np.exp(-gamma * loss)


def optimal_hyperparameters_reference(N, D, A, b_N, b_D):
    # Li et al. (2025), eq. 1: the optimal learning rate η = A N^b_N D^b_D.
    return A * N**b_N * D**b_D


def data_constrained_reference(N, D, U, E, A, B, alpha, beta, R_D_star, R_N_star):
    # Muennighoff et al. (2023), section 3.1 and appendix A, with U_D = min(U, D).
    U_D = np.minimum(U, D)
    R_D = D / U_D - 1
    D_effective = U_D + U_D * R_D_star * (1 - np.exp(-R_D / R_D_star))
    G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
    U_N = np.minimum(N, G * (U_D * G) ** (beta / alpha))
    R_N = N / U_N - 1
    N_effective = U_N + U_N * R_N_star * (1 - np.exp(-R_N / R_N_star))
    return E + A / N_effective**alpha + B / D_effective**beta


def parscale_reference(N, P, E, A, alpha, k):
    # Chen et al. (2025): L = (A / (N (k log P + 1)))^alpha + E.
    return (A / (N * (k * np.log(P) + 1))) ** alpha + E


def kaplan_batch_reference(N, S, B, N_c, alpha_N, S_c, alpha_S, B_star, alpha_B):
    # Kaplan et al. (2020), section 5, solved point by point with Brent's method.
    def excess(loss, n, steps, batch):
        min_steps = steps / (1 + B_star / loss ** (1 / alpha_B) / batch)
        return loss - (N_c / n) ** alpha_N - (S_c / min_steps) ** alpha_S

    roots = []
    for n, steps, batch in zip(N, S, B, strict=True):
        low = (N_c / n) ** alpha_N + (S_c / steps) ** alpha_S
        roots.append(optimize.brentq(excess, low, 1e3 * low, (n, steps, batch), xtol=1e-14))
    return np.array(roots)


def m4_reference(D, L_inf, L_0, alpha, beta, c):
    # Alabdulmohsin et al. (2022), M4: (L - L_inf) / (L_0 - L)^alpha = beta D^c, by Brent.
    def excess(loss, size):
        return loss - L_inf - beta * size**c * (L_0 - loss) ** alpha

    return np.array([optimize.brentq(excess, L_inf, L_0, (size,), xtol=1e-14) for size in D])


def learning_curve_regimes_reference(D, E, L_p, X_0, alpha):
    # Plateau L_p, power law with exponent -alpha past X_0, floor E (Hestness et al. 2017).
    return E + (L_p - E) / (1 + (D / X_0) ** alpha)


CASES = {
    "chinchilla": LawCase(
        reference=chinchilla_reference,
        values=dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28),
        recovery=RecoveryDesign(
            dict(E=1.8, A=480.0, B=2000.0, alpha=0.35, beta=0.37), {"N": (7, 9.5), "D": (8, 11)}
        ),
    ),
    "kaplan_joint": LawCase(
        reference=kaplan_joint_reference,
        values=dict(N_c=8.8e13, D_c=5.4e13, alpha_N=0.076, alpha_D=0.095),
        recovery=RecoveryDesign(
            dict(N_c=8.8e13, D_c=5.4e13, alpha_N=0.076, alpha_D=0.095),
            {"N": (6, 9.5), "D": (7, 10.5)},
        ),
    ),
    "data_constrained": LawCase(
        reference=data_constrained_reference,
        # Muennighoff et al.'s fit, from its log-space values a=6.255414, b=7.3049974, e=0.6254804.
        values=dict(
            E=np.exp(0.6254804),
            A=np.exp(6.255414),
            B=np.exp(7.3049974),
            alpha=0.3526596,
            beta=0.3526596,
            R_D_star=15.387756,
            R_N_star=5.309743,
        ),
        # Muennighoff et al.'s fit; unique tokens from 30M to 10B, so runs range from a fraction of
        # an epoch to thousands of epochs, and many models exceed the optimal size for their data.
        recovery=RecoveryDesign(
            dict(E=1.87, A=520.8, B=1487.7, alpha=0.353, beta=0.353, R_D_star=15.4, R_N_star=5.3),
            {"N": (7, 9.5), "D": (8.5, 11.5), "U": (7.5, 10)},
        ),
    ),
    "parscale": LawCase(
        reference=parscale_reference,
        values=dict(E=1.7, A=1.0e8, alpha=0.2, k=0.4),
        # One to eight parallel streams.
        recovery=RecoveryDesign(
            dict(E=1.7, A=1.0e8, alpha=0.2, k=0.4), {"N": (7, 10.5), "P": (0, np.log10(8))}
        ),
    ),
    "kaplan_batch": LawCase(
        reference=kaplan_batch_reference,
        # Kaplan et al.'s Table 5 constants.
        values=dict(N_c=8.8e13, alpha_N=0.076, S_c=2.1e3, alpha_S=0.76, B_star=2.0e8, alpha_B=0.21),
        # Kaplan et al.'s constants; batches from well below to well above the critical batch size.
        recovery=RecoveryDesign(
            dict(N_c=8.8e13, alpha_N=0.076, S_c=2.1e3, alpha_S=0.76, B_star=2.0e8, alpha_B=0.21),
            {"N": (6, 10), "S": (3, 5), "B": (5, 7)},
        ),
    ),
    "m4": LawCase(
        reference=m4_reference,
        values=dict(L_inf=1.8, L_0=6.0, alpha=1.5, beta=3.0e3, c=-0.4),
        # From near the random-guess loss L_0 down towards L_inf.
        recovery=RecoveryDesign(
            dict(L_inf=1.8, L_0=6.0, alpha=1.5, beta=3.0e3, c=-0.4),
            {"D": (4.5, 13)},
            options={"covariate": "D"},
        ),
    ),
    "learning_curve_regimes": LawCase(
        reference=learning_curve_regimes_reference,
        values=dict(E=1.8, L_p=6.0, X_0=1e9, alpha=0.5),
        # Plateau, power law and floor all inside the data.
        recovery=RecoveryDesign(
            dict(E=1.8, L_p=6.0, X_0=1e8, alpha=0.5), {"D": (5, 13)}, options={"covariate": "D"}
        ),
    ),
    "power_law": LawCase(
        reference=power_law_reference,
        values=dict(E=1.7, A=1.0e3, alpha=0.15),
        recovery=RecoveryDesign(
            dict(E=1.7, A=2.0e3, alpha=0.17), {"C": (17, 22)}, options={"covariate": "C"}
        ),
    ),
    "broken_power_law": LawCase(
        reference=broken_power_law_reference,
        values=dict(E=1.5, A=30.0, c0=0.05, c1=0.1, d1=1e19, f1=0.3),
        recovery=RecoveryDesign(
            dict(E=1.6, A=60.0, c0=0.15, c1=0.25, d1=3e9, f1=0.4),
            {"D": (7, 12)},
            options={"covariate": "D"},
        ),
        # A steepening then a flattening break, each two decades inside the data.
        variants={
            "broken_power_law(covariate=D, breaks=2)": RecoveryDesign(
                dict(E=1.2, A=25.0, c0=0.15, c1=0.25, d1=1e8, f1=0.3, c2=-0.2, d2=3.16e10, f2=0.3),
                {"D": (6, 13)},
                options={"covariate": "D", "breaks": 2},
            )
        },
    ),
    "overtraining": LawCase(
        reference=overtraining_reference,
        # Gadre et al.'s RedPajama fit (code_alpha=166.2, code_beta=366.7, code_b=-0.2729,
        # E=1.8366).
        values=dict(E=1.8366, a=166.2 * 6**0.13645, b=366.7, eta=0.13645),
        # Gadre et al.'s RedPajama fit.
        recovery=RecoveryDesign(
            dict(E=1.84, a=212.0, b=366.7, eta=0.136), {"N": (7, 9.5), "D": (8.5, 11.5)}
        ),
    ),
    "downstream_error": LawCase(
        reference=downstream_error_reference,
        # Gadre et al.'s 17-task fit on RedPajama, C4 eval loss.
        values=dict(epsilon=0.8570, k=2.206, gamma=0.7146),
        # Gadre et al.'s 17-task fit; the covariate is the loss, here 2.5 to 5.5 nats per token.
        recovery=RecoveryDesign(
            dict(epsilon=0.857, k=2.206, gamma=0.7146), {"loss": (np.log10(2.5), np.log10(5.5))}
        ),
    ),
    "optimal_hyperparameters": LawCase(
        reference=optimal_hyperparameters_reference,
        # Li et al. (2025), eq. 1: the Step Law optimal learning rate.
        values=dict(A=1.79, b_N=-0.713, b_D=0.307),
        # Li et al.'s optimal learning rate (the "loss" column stands for η here).
        recovery=RecoveryDesign(
            dict(A=1.79, b_N=-0.713, b_D=0.307),
            {"N": (8, 10), "D": (9.5, 11.5)},
            options={"covariates": ("N", "D")},
        ),
    ),
}


def covariate_grid(size: int = 50, seed: int = 0) -> dict[str, np.ndarray]:
    """``size`` random points covering every covariate a registered law reads."""
    rng = np.random.default_rng(seed)
    N = np.exp(rng.uniform(np.log(1e7), np.log(1e11), size))
    D = np.exp(rng.uniform(np.log(1e8), np.log(1e13), size))
    # Losses for laws of downstream error, drawn after N and D so that a new covariate never
    # changes N and D.
    grid = {"N": N, "D": D, "C": 6 * N * D, "loss": rng.uniform(2.0, 5.0, size)}
    # Covariates beyond N, D and C, drawn last for the same reason: unique tokens (mostly
    # repeated, some runs seeing fewer than are available), parallel streams, steps and batch.
    grid["U"] = D / 10 ** rng.uniform(-0.5, 2.5, size)
    grid["P"] = 2.0 ** rng.integers(0, 4, size)
    grid["S"] = 10 ** rng.uniform(3, 5.5, size)
    grid["B"] = 10 ** rng.uniform(5, 7, size)
    return grid
