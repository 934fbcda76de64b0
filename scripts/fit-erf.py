#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fit the polynomials of kmod/math/vmath.h and print them as float32.

    H(u - U0) ~ erfcx(z) / u,  u = 2 / (2 + z),  z in [0, 10.7]  (degree 10)
    P(x^2)    ~ erf(x) / x,    |x| < 0.75                         (degree 5)

Minimax in relative error, approached by Lawson's reweighting of least
squares on Chebyshev nodes; the report gives each fit's error in exact
arithmetic and evaluated by Horner's rule in float32.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.special import erf, erfcx

Fn = Callable[[np.ndarray], np.ndarray]


def fit(f: Fn, lo: float, hi: float, deg: int, var: Fn, npts: int = 6000, iters: int = 40) -> np.ndarray:
    k = np.arange(npts)
    x = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / npts)
    y = f(x)
    v = np.vander(var(x), deg + 1, increasing=True)
    w = np.ones(npts) / npts
    for _ in range(iters):
        c, *_ = np.linalg.lstsq(v / y[:, None] * np.sqrt(w)[:, None], np.sqrt(w), rcond=None)
        w = w * np.abs(v @ c / y - 1)
        w /= w.sum()
    return c


def horner32(c: np.ndarray, t: np.ndarray) -> np.ndarray:
    r = np.full_like(t, np.float32(c[-1]))
    for ck in c[-2::-1]:
        r = (r * t + np.float32(ck)).astype(np.float32)
    return r


def report(name: str, c: np.ndarray, f: Fn, lo: float, hi: float, var: Fn) -> None:
    x = np.linspace(lo, hi, 200001)
    exact = np.max(np.abs(np.polyval(c[::-1], var(x)) / f(x) - 1))
    x32 = x.astype(np.float32)
    t32 = var(x32).astype(np.float32)
    rounded = np.max(np.abs(horner32(c.astype(np.float32), t32) / f(x32.astype(np.float64)) - 1))
    print(f"{name}: relative error {exact:.2g} exact, {rounded:.2g} in float")
    print("  " + ", ".join(f"{v:.10g}" for v in c.astype(np.float32)))


def main() -> None:
    umin = 2 / (2 + 10.7)
    u0 = float(np.float32((umin + 1) / 2))
    h: Fn = lambda u: erfcx(2 / u - 2) / u  # noqa: E731
    report(f"H, U0 = {u0:.7g}", fit(h, umin, 1.0, 10, lambda u: u - u0), h, umin, 1.0, lambda u: u - u0)
    p: Fn = lambda x: erf(np.sqrt(x)) / np.sqrt(x)  # noqa: E731
    report("P", fit(p, 1e-14, 0.75 ** 2, 5, lambda x: x), p, 1e-6, 0.75 ** 2, lambda x: x)


if __name__ == "__main__":
    main()
