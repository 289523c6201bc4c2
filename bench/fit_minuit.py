"""MINUIT (iminuit) peer for bench/fit.ts: the same dijet functions, the same bin-integrated binned Poisson
likelihood (5-point Gauss-Legendre per bin, Baker-Cousins deviance), the same ATLAS 2024 strategy loop, timed on
the same inputs under several configurations, from the one a user would write first to MINUIT at its best:

  cold                 published parameters (p1 >= 0 limited), a generic start (p2 = 10, p3 = 5) with the
                       normalisation matched to the data, numerical gradient, strategy 1, tol 0.1;
  warm_numerical       log-linear coefficients (beta_0 = ln p1, no limits), started where ours starts (weighted least
                       squares of ln(n / bin width) on the features, normalisation matched), numerical gradient,
                       strategy 1, tol 0.1;
  warm_analytic        the same with the analytic gradient (grad=) and ours' tolerance (EDM < 1e-8:
                       tol = 1e-8 / (0.002 errordef)), strategy 1;
  warm_analytic_s0     the same with strategy 0 (fewer gradient and Hessian evaluations);
  warm_analytic_orth   the same in ours' coordinates (features orthonormalised over the fitted bin centres),
                       strategy 0.
Every configuration calls migrad (again, up to three times, until the minimum is valid) and then hesse, since
ours returns the covariance from the exact Hessian. Reads one JSON job from stdin, prints one JSON object.
Run with Debian's /usr/bin/python3 (python3-iminuit); used only by the benchmark, never at runtime.
"""
import json
import sys
import time

import numpy as np
from iminuit import Minuit
from scipy.stats import chi2 as chi2dist

GL_T = np.array([-0.906179845938664, -0.5384693101056831, 0.0, 0.5384693101056831, 0.906179845938664])
GL_W = np.array([0.23692688505618908, 0.47862867049936647, 0.5688888888888889, 0.47862867049936647,
                 0.23692688505618908])
OUR_EDM = 1e-8

# ln f = sum_j beta_j phi_j(x); the published parameters map linearly onto beta_1.. (beta_0 = ln p1).
FEATURES = {
    "dijet3": lambda x: np.stack([np.ones_like(x), np.log1p(-x), np.log(x)], -1),
    "dijet4": lambda x: np.stack([np.ones_like(x), np.log1p(-x), np.log(x), np.log(x) ** 2], -1),
    "ua2": lambda x: np.stack([np.ones_like(x), np.log(x), x, x * x], -1),
}
# beta_{1..} = SIGN * p_{2..} (published parametrisation: dijet p2 ln(1-x) - p3 ln x + p4 ln^2 x; ua2 all minus).
SIGN = {"dijet3": [1, -1], "dijet4": [1, -1, 1], "ua2": [-1, -1, -1]}
GENERIC = {"dijet3": [10, 5], "dijet4": [10, 5, 0], "ua2": [5, 10, 0]}

CONFIGS = {
    "cold": dict(coords="published", start="generic", grad=False, strategy=1, tol=0.1),
    "warm_numerical": dict(coords="beta", start="ours", grad=False, strategy=1, tol=0.1),
    "warm_analytic": dict(coords="beta", start="ours", grad=True, strategy=1, tol=OUR_EDM / 0.002),
    "warm_analytic_s0": dict(coords="beta", start="ours", grad=True, strategy=0, tol=OUR_EDM / 0.002),
    "warm_analytic_orth": dict(coords="orthonormal", start="ours", grad=True, strategy=0, tol=OUR_EDM / 0.002),
}


class Problem:
    def __init__(self, lo, hi, n, sqrt_s):
        self.lo, self.hi = np.asarray(lo, float), np.asarray(hi, float)
        a, b = self.lo / sqrt_s, self.hi / sqrt_s
        c, h = 0.5 * (a + b), 0.5 * (b - a)
        self.xq = c[:, None] + h[:, None] * GL_T[None, :]
        self.wq = h[:, None] * GL_W[None, :]
        self.xc = c
        self.width = b - a
        self.n = np.asarray(n, dtype=float)

    def fit(self, name, sel, cfg):
        n = self.n[sel]
        phi_q = FEATURES[name](self.xq[sel])  # bins x nodes x m
        wq = self.wq[sel]
        phi_c = FEATURES[name](self.xc[sel])
        m = phi_c.shape[1]
        sign = np.array([1.0] + SIGN[name])
        # Coordinates theta with beta = T theta (+ the published map for "published").
        if cfg["coords"] == "orthonormal":
            q, r = np.linalg.qr(phi_c)
            T = np.linalg.inv(r)
        else:
            T = np.eye(m)
        psi = phi_q @ T  # ln f at the nodes = psi . theta

        def mu_of(theta):
            return (wq * np.exp(psi @ theta)).sum(axis=1)

        def deviance_theta(theta):
            mu = mu_of(theta)
            if not np.all(np.isfinite(mu)) or not np.all(mu > 0):
                return 1e300
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.where(n > 0, n * np.log(n / mu), 0.0)
            return 2.0 * float(np.sum(mu - n + t))

        def grad_theta(theta):
            e = wq * np.exp(psi @ theta)
            mu = e.sum(axis=1)
            dmu = np.einsum("bq,bqj->bj", e, psi)
            c1 = 2.0 * (1.0 - np.where(n > 0, n / mu, 0.0))
            return c1 @ dmu

        # Start points.
        if cfg["start"] == "ours":
            y = np.log(np.maximum(n, 0.5) / self.width[sel])
            w = np.maximum(n, 0.5)
            beta = np.linalg.solve(phi_c.T @ (w[:, None] * phi_c), phi_c.T @ (w * y))
        else:
            beta = np.concatenate([[0.0], sign[1:] * np.array(GENERIC[name], float)])
        beta[0] += np.log(n.sum() / (wq * np.exp(phi_q @ beta)).sum())  # normalisation matched to the data
        if cfg["coords"] == "published":
            p0 = np.concatenate([[np.exp(beta[0])], beta[1:] * sign[1:]])

            def to_beta(p):
                return np.concatenate([[np.log(p[0]) if p[0] > 0 else -745.0], np.asarray(p[1:]) * sign[1:]])

            fcn = lambda *p: deviance_theta(to_beta(p))
            mi = Minuit(fcn, *p0)
            mi.limits["x0"] = (0, None)
        else:
            theta0 = np.linalg.solve(T, beta)
            fcn = lambda *t: deviance_theta(np.asarray(t))
            g = (lambda *t: grad_theta(np.asarray(t))) if cfg["grad"] else None
            mi = Minuit(fcn, *theta0, grad=g)
        mi.errordef = Minuit.LEAST_SQUARES  # deviance = -2 ln L ratio
        mi.strategy = cfg["strategy"]
        mi.tol = cfg["tol"]
        for _ in range(3):
            mi.migrad()
            if mi.valid:
                break
        mi.hesse()
        vals = np.array(mi.values)
        theta_beta = to_beta(vals) if cfg["coords"] == "published" else T @ vals
        mu = (wq * np.exp(phi_q @ theta_beta)).sum(axis=1)
        chi2 = float(np.sum((n - mu) ** 2 / mu))
        ndf = int(sel.sum()) - m
        return {"function": name, "deviance": float(mi.fval), "chi2": chi2, "ndf": ndf,
                "pvalue": float(chi2dist.sf(chi2, ndf)) if ndf > 0 else None, "valid": bool(mi.valid),
                "nfcn": mi.nfcn, "ngrad": mi.ngrad, "edm": float(mi.fmin.edm)}


def strategy_2024(prob, sr, functions, cfg, thr=0.05, min_bins=6):
    lo, hi = prob.lo, prob.hi
    low = [i for i in range(len(lo)) if hi[i] <= sr[0]]
    high = [i for i in range(len(lo)) if lo[i] >= sr[1]]
    attempts = 0
    while len(low) + len(high) >= min_bins:
        sel = np.zeros(len(lo), dtype=bool)
        sel[low + high] = True
        for name in functions:
            r = prob.fit(name, sel, cfg)
            attempts += 1
            if r["valid"] and r["pvalue"] is not None and r["pvalue"] > thr:
                r["attempts"] = attempts
                r["sidebandBins"] = int(sel.sum())
                return r
        low, high = low[1:], high[:-1]
    return {"function": None, "attempts": attempts}


def timed(fn, reps):
    times, out = [], None
    fn()  # warm-up (imports, caches)
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return out, float(np.median(times))


def main():
    job = json.load(sys.stdin)
    import iminuit
    res = {"iminuit": iminuit.__version__, "numpy": np.__version__, "configs": CONFIGS, "problems": []}
    for p in job["problems"]:
        prob = Problem(p["lo"], p["hi"], p["counts"], job.get("sqrtS", 13000))
        out = {"name": p["name"], "configs": {}}
        for cname in job.get("configs", list(CONFIGS)):
            cfg = CONFIGS[cname]
            if p["kind"] == "fit":
                sel = np.ones(len(p["lo"]), dtype=bool)
                r, ms = timed(lambda: prob.fit(p["function"], sel, cfg), p["reps"])
            else:
                r, ms = timed(lambda: strategy_2024(prob, p["sr"], p["functions"], cfg), p["reps"])
            out["configs"][cname] = {"medianMs": ms, **r}
        res["problems"].append(out)
    json.dump(res, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
