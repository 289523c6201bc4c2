"""MINUIT (iminuit) peer for bench/fit.ts: the same dijet functions, the same bin-integrated binned Poisson
likelihood (5-point Gauss-Legendre per bin, Baker-Cousins deviance), the same ATLAS 2024 strategy loop, timed on
the same inputs. Reads one JSON job from stdin, prints one JSON object. Run with Debian's /usr/bin/python3
(apt-get install -y python3-iminuit); used only by the benchmark, never at runtime."""
import json
import sys
import time

import numpy as np
from iminuit import Minuit
from scipy.stats import chi2 as chi2dist

GL_T = np.array([-0.906179845938664, -0.5384693101056831, 0.0, 0.5384693101056831, 0.906179845938664])
GL_W = np.array([0.23692688505618908, 0.47862867049936647, 0.5688888888888889, 0.47862867049936647, 0.23692688505618908])


def log_density(name, x, p):
    lx = np.log(x)
    if name == "dijet3":
        return np.log(p[0]) + p[1] * np.log1p(-x) - p[2] * lx
    if name == "dijet4":
        return np.log(p[0]) + p[1] * np.log1p(-x) + (-p[2] + p[3] * lx) * lx
    if name == "dijet5":
        return np.log(p[0]) + p[1] * np.log1p(-x) + (-p[2] + p[3] * lx + p[4] * lx * lx) * lx
    if name == "ua2":
        return np.log(p[0]) - p[1] * lx - p[2] * x - p[3] * x * x
    raise ValueError(name)


START = {"dijet3": [1, 10, 5], "dijet4": [1, 10, 5, 0], "dijet5": [1, 10, 5, 0, 0], "ua2": [1, 5, 10, 0]}


class Problem:
    def __init__(self, lo, hi, n, sqrt_s):
        a, b = np.asarray(lo) / sqrt_s, np.asarray(hi) / sqrt_s
        c, h = 0.5 * (a + b), 0.5 * (b - a)
        self.xq = c[:, None] + h[:, None] * GL_T[None, :]
        self.wq = h[:, None] * GL_W[None, :]
        self.n = np.asarray(n, dtype=float)

    def predict(self, name, p, sel):
        return (self.wq[sel] * np.exp(log_density(name, self.xq[sel], p))).sum(axis=1)

    def fit(self, name, sel):
        n = self.n[sel]

        def deviance(*p):
            mu = self.predict(name, p, sel)
            if not np.all(mu > 0) or not np.all(np.isfinite(mu)):
                return 1e300
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.where(n > 0, n * np.log(n / mu), 0.0)
            return 2.0 * float(np.sum(mu - n + t))

        start = list(START[name])
        start[0] = 1.0
        start[0] = n.sum() / self.predict(name, start, sel).sum()  # normalisation matched to the data
        m = Minuit(deviance, *start)
        m.errordef = Minuit.LEAST_SQUARES  # deviance = -2 ln L ratio
        m.limits["x0"] = (0, None)
        # Repeated MIGRAD calls until the minimum is valid (standard practice; the first call often stops early
        # on these strongly correlated parameters).
        for _ in range(3):
            m.migrad()
            if m.valid:
                break
        m.hesse()
        mu = self.predict(name, np.array(m.values), sel)
        chi2 = float(np.sum((n - mu) ** 2 / mu))
        ndf = int(sel.sum()) - len(start)
        return {
            "function": name, "params": list(m.values), "deviance": float(m.fval), "chi2": chi2, "ndf": ndf,
            "pvalue": float(chi2dist.sf(chi2, ndf)) if ndf > 0 else None, "valid": bool(m.valid), "nfcn": m.nfcn,
        }


def strategy_2024(prob, lo, hi, sr, functions, thr=0.05, min_bins=6):
    lo, hi = np.asarray(lo), np.asarray(hi)
    low = [i for i in range(len(lo)) if hi[i] <= sr[0]]
    high = [i for i in range(len(lo)) if lo[i] >= sr[1]]
    attempts = 0
    while len(low) + len(high) >= min_bins:
        sel = np.zeros(len(lo), dtype=bool)
        sel[low + high] = True
        for name in functions:
            r = prob.fit(name, sel)
            attempts += 1
            if r["valid"] and r["pvalue"] is not None and r["pvalue"] > thr:
                r["attempts"] = attempts
                r["sidebandBins"] = int(sel.sum())
                return r
        low, high = low[1:], high[:-1]
    return {"function": None, "attempts": attempts}


def timed(fn, reps):
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return out, float(np.median(times))


def main():
    job = json.load(sys.stdin)
    reps = job.get("reps", 20)
    res = {"iminuit": __import__("iminuit").__version__, "numpy": np.__version__}
    s = job["spectrum"]
    prob = Problem(s["lo"], s["hi"], s["counts"], job.get("sqrtS", 13000))
    sel = np.ones(len(s["lo"]), dtype=bool)
    res["spectrumFit"], res["spectrumFitMs"] = timed(lambda: prob.fit(s["function"], sel), reps)
    w = job["window"]
    wprob = Problem(w["lo"], w["hi"], w["counts"], job.get("sqrtS", 13000))
    res["windowFit"], res["windowFitMs"] = timed(lambda: strategy_2024(wprob, w["lo"], w["hi"], w["sr"], w["functions"]), reps)
    h = job["hardWindow"]
    hprob = Problem(h["lo"], h["hi"], h["counts"], job.get("sqrtS", 13000))
    res["hardWindowFit"], res["hardWindowFitMs"] = timed(lambda: strategy_2024(hprob, h["lo"], h["hi"], h["sr"], h["functions"]), max(3, reps // 5))
    json.dump(res, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
