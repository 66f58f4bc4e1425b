"""Fitting the logistic heads: L2-regularised, all heads at once, deterministic (training only).

Uses SciPy's sparse matrices and a small L-BFGS of our own; nothing here runs at inference time,
so SciPy is a development dependency only.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, sparse


def fit_heads(matrix: sparse.csr_matrix, labels: np.ndarray, weights: np.ndarray,
              l2: np.ndarray, iterations: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Fit one logistic regression per column of `labels` (n x H, 0/1).

    `weights` (n x H) weighs each example per head; 0 leaves it out of that head.
    `l2` (D x H) is each coefficient's penalty. Returns (coefficients D x H, bias H). Deterministic: full-batch L-BFGS from zero.
    """
    count, heads = labels.shape
    features = matrix.shape[1]
    totals = np.maximum(weights.sum(axis=0), 1e-9)
    transposed = matrix.T.tocsr()

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        coefficients = flat[: features * heads].reshape(features, heads)
        bias = flat[features * heads:]
        logits = matrix @ coefficients + bias
        loss = weights * (np.logaddexp(0.0, logits) - labels * logits)
        residual = weights * (_sigmoid(logits) - labels) / totals
        value = float((loss.sum(axis=0) / totals).sum() + 0.5 * np.sum(l2 * coefficients**2))
        gradient_coefficients = transposed @ residual + l2 * coefficients
        return value, np.concatenate([gradient_coefficients.ravel(), residual.sum(axis=0)])

    solution = minimise(objective, np.zeros(features * heads + heads), iterations)
    return solution[: features * heads].reshape(features, heads), solution[features * heads:]


def minimise(objective, start: np.ndarray, iterations: int, memory: int = 10,
             tolerance: float = 1e-7) -> np.ndarray:
    """Plain L-BFGS with Armijo backtracking; SciPy's L-BFGS-B costs far more per step at this size.

    `objective(x)` returns (value, gradient). Stops after `iterations` steps or
    when the value improves by less than `tolerance` relative.
    """
    point = start
    value, gradient = objective(point)
    history: list[tuple[np.ndarray, np.ndarray, float]] = []
    for _ in range(iterations):
        direction = -_two_loop(gradient, history)
        slope = _dot(gradient, direction)
        if slope >= 0:
            history.clear()
            direction, slope = -gradient, -_dot(gradient, gradient)
        step = 1.0 if history else 1.0 / max(1.0, float(np.linalg.norm(gradient)))
        for _ in range(40):
            candidate = point + step * direction
            new_value, new_gradient = objective(candidate)
            if new_value <= value + 1e-4 * step * slope:
                break
            step *= 0.5
        change, curvature = candidate - point, new_gradient - gradient
        product = _dot(change, curvature)
        if product > 1e-12:
            history = (history + [(change, curvature, 1.0 / product)])[-memory:]
        converged = value - new_value <= tolerance * max(1.0, abs(value))
        point, value, gradient = candidate, new_value, new_gradient
        if converged:
            break
    return point


def _two_loop(gradient: np.ndarray, history: list[tuple[np.ndarray, np.ndarray, float]]) -> np.ndarray:
    direction = gradient.copy()
    alphas = []
    for change, curvature, rho in reversed(history):
        alpha = rho * _dot(change, direction)
        direction -= alpha * curvature
        alphas.append(alpha)
    if history:
        change, curvature, _ = history[-1]
        direction *= _dot(change, curvature) / _dot(curvature, curvature)
    for (change, curvature, rho), alpha in zip(history, reversed(alphas)):
        beta = rho * _dot(curvature, direction)
        direction += (alpha - beta) * change
    return direction


def fit_platt(logits: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Platt scaling: (a, b) so that sigmoid(a * logit + b) matches the held-out labels."""
    mask = weights > 0
    scores, truth, mass = logits[mask], labels[mask], weights[mask]
    if len(np.unique(truth)) < 2:
        return 1.0, 0.0

    def objective(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = params[0] * scores + params[1]
        residual = mass * (_sigmoid(z) - truth)
        value = float(np.sum(mass * (np.logaddexp(0.0, z) - truth * z)))
        return value, np.array([np.sum(residual * scores), np.sum(residual)])

    result = optimize.minimize(objective, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


def _dot(first: np.ndarray, second: np.ndarray) -> float:
    # einsum stays on one thread; BLAS dot spawns threads that crawl on a busy machine.
    return float(np.einsum("i,i->", first, second))


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * values))
