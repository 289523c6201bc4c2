"""PyTorch peer of bench/nn.ts: trains the same workloads on the same data, initial weights, batch order,
architecture, batch size, optimizer and epochs, with torch.set_num_threads(n), and prints one JSON object.

Usage: OPENBLAS_NUM_THREADS=n OMP_NUM_THREADS=n /usr/bin/python3 bench/peers/nn_torch.py DIR n [WORKLOAD ...]
(the bench sets both: Debian's torch runs GEMMs on OpenBLAS, whose thread pool torch.set_num_threads leaves alone)
DIR holds spec.json and raw little-endian arrays written by the bench (features, targets, per-epoch
permutations of the training rows, initial weights in torch's layouts). The models follow the definitions the
engine's fixtures pin (test/fixtures/nn/make_fixtures.py): torch.nn layers, pytorch-flows' MADE/BatchNormFlow
(CATHODE), nflows' rational-quadratic spline. Dropout draws its masks from torch's generator (seeded).
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

D_ = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(D_, "..", "..", "test", "fixtures", "nn"))


def load(d, name, dtype, shape=None):
    a = np.fromfile(os.path.join(d, name), dtype=dtype)
    return a.reshape(shape) if shape else a


class Weights:
    """Named tensors from init.f32 + its manifest, in torch's layout."""

    def __init__(self, d, job):
        flat = load(d, job["init"], np.float32)
        self.t = {}
        for e in job["tensors"]:
            size = int(np.prod(e["shape"]))
            self.t[e["name"]] = torch.from_numpy(flat[e["offset"]:e["offset"] + size].reshape(e["shape"]).copy())

    def __getitem__(self, k):
        return self.t[k]


def set_linear(lin, w, prefix):
    with torch.no_grad():
        lin.weight.copy_(w[prefix + ".weight"])
        if lin.bias is not None:
            lin.bias.copy_(w[prefix + ".bias"])


# ------------------------------------------------------------------ networks
def build_mlp(job, w):
    layers = []
    prev = job["inputs"]
    for i, h in enumerate(job["hidden"]):
        lin = nn.Linear(prev, h)
        set_linear(lin, w, f"l{i}")
        layers += [lin, nn.ReLU(), nn.Dropout(job["dropout"])]
        prev = h
    lin = nn.Linear(prev, 1)
    set_linear(lin, w, f"l{len(job['hidden'])}")
    layers.append(lin)
    return nn.Sequential(*layers)


class Znet(nn.Module):
    """Parallel conv branches (kernel sizes k), concatenated with the input, per-bin 1x1 head."""

    def __init__(self, job, w):
        super().__init__()
        self.branches = nn.ModuleList()
        for bi, k in enumerate(job["kernels"]):
            convs = []
            cin = 1
            for li in range(job["depth"]):
                c = nn.Conv1d(cin, job["channels"], k, padding=k // 2)
                set_linear(c, w, f"b{bi}.{li}")
                convs += [c, nn.ReLU()]
                cin = job["channels"]
            self.branches.append(nn.Sequential(*convs))
        tot = 1 + len(job["kernels"]) * job["channels"]
        self.h1 = nn.Conv1d(tot, job["head"], 1)
        self.h2 = nn.Conv1d(job["head"], 1, 1)
        set_linear(self.h1, w, "h1")
        set_linear(self.h2, w, "h2")

    def forward(self, x):
        x = x[:, None, :]
        h = torch.cat([x] + [b(x) for b in self.branches], 1)
        return self.h2(torch.relu(self.h1(h)))[:, 0, :]


# ------------------------------------------------------------------ flows (pytorch-flows / nflows definitions)
def get_mask(in_features, out_features, in_flow_features, mask_type=None):
    if mask_type == "input":
        in_degrees = torch.arange(in_features) % in_flow_features
    else:
        in_degrees = torch.arange(in_features) % (in_flow_features - 1)
    if mask_type == "output":
        out_degrees = torch.arange(out_features) % in_flow_features - 1
    else:
        out_degrees = torch.arange(out_features) % (in_flow_features - 1)
    return (out_degrees.unsqueeze(-1) >= in_degrees.unsqueeze(0)).float()


class MaskedLinear(nn.Module):
    def __init__(self, i, o, mask, cond=None):
        super().__init__()
        self.linear = nn.Linear(i, o)
        self.cond_linear = nn.Linear(cond, o, bias=False) if cond else None
        self.register_buffer("mask", mask)

    def forward(self, x, c=None):
        out = F.linear(x, self.linear.weight * self.mask, self.linear.bias)
        if c is not None:
            out = out + self.cond_linear(c)
        return out


class MADE(nn.Module):
    def __init__(self, D, C, H, out_mask, per):
        super().__init__()
        self.joiner = MaskedLinear(D, H, get_mask(D, H, D, "input"), C)
        self.l2 = MaskedLinear(H, H, get_mask(H, H, D))
        self.l3 = MaskedLinear(H, D * per, out_mask)

    def forward(self, x, c):
        h = torch.relu(self.joiner(x, c))
        h = torch.relu(self.l2(h))
        return self.l3(h)


class BatchNormFlow(nn.Module):
    def __init__(self, D, eps=1e-5):
        super().__init__()
        self.log_gamma = nn.Parameter(torch.zeros(D))
        self.beta = nn.Parameter(torch.zeros(D))
        self.eps = eps
        self.momentum = 0.0
        self.register_buffer("running_mean", torch.zeros(D))
        self.register_buffer("running_var", torch.ones(D))

    def forward(self, x):
        if self.training:
            mean = x.mean(0)
            var = (x - mean).pow(2).mean(0) + self.eps
            with torch.no_grad():
                self.running_mean.mul_(self.momentum).add_(mean * (1 - self.momentum))
                self.running_var.mul_(self.momentum).add_(var * (1 - self.momentum))
        else:
            mean, var = self.running_mean, self.running_var
        y = torch.exp(self.log_gamma) * (x - mean) / var.sqrt() + self.beta
        return y, (self.log_gamma - 0.5 * torch.log(var)).sum()


def rq_spline(x, uw, uh, ud, B, minw=1e-3, minh=1e-3, mind=1e-3):
    inside = (x >= -B) & (x <= B)
    const = float(np.log(np.exp(1 - mind) - 1))
    ud = torch.cat([torch.full_like(ud[..., :1], const), ud, torch.full_like(ud[..., :1], const)], -1)
    K = uw.shape[-1]
    cw = F.pad(torch.cumsum(minw + (1 - minw * K) * F.softmax(uw, -1), -1), (1, 0))
    cw = 2 * B * cw - B
    cw = torch.cat([torch.full_like(cw[..., :1], -B), cw[..., 1:-1], torch.full_like(cw[..., :1], B)], -1)
    widths = cw[..., 1:] - cw[..., :-1]
    der = mind + F.softplus(ud)
    ch = F.pad(torch.cumsum(minh + (1 - minh * K) * F.softmax(uh, -1), -1), (1, 0))
    ch = 2 * B * ch - B
    ch = torch.cat([torch.full_like(ch[..., :1], -B), ch[..., 1:-1], torch.full_like(ch[..., :1], B)], -1)
    heights = ch[..., 1:] - ch[..., :-1]
    loc = cw.detach().clone()
    loc[..., -1] += 1e-6
    idx = (torch.sum(x[..., None] >= loc, -1) - 1).clamp(0, K - 1)[..., None]
    icw = cw.gather(-1, idx)[..., 0]
    ibw = widths.gather(-1, idx)[..., 0]
    ich = ch.gather(-1, idx)[..., 0]
    delta = heights / widths
    idl = delta.gather(-1, idx)[..., 0]
    idk = der.gather(-1, idx)[..., 0]
    idk1 = der[..., 1:].gather(-1, idx)[..., 0]
    ih = heights.gather(-1, idx)[..., 0]
    xc = torch.where(inside, x, torch.zeros_like(x))
    th = (xc - icw) / ibw
    t1 = th * (1 - th)
    den = idl + (idk + idk1 - 2 * idl) * t1
    yv = ich + ih * (idl * th.pow(2) + idk * t1) / den
    ld = torch.log(idl.pow(2) * (idk1 * th.pow(2) + 2 * idl * t1 + idk * (1 - th).pow(2))) - 2 * torch.log(den)
    return torch.where(inside, yv, x), torch.where(inside, ld, torch.zeros_like(x))


class Flow(nn.Module):
    def __init__(self, job, w):
        super().__init__()
        D, C, H = job["features"], job["context"], job["hidden"]
        self.kind, self.D = job["type"], D
        self.K, self.B = job.get("bins", 8), job.get("tailBound", 3.0)
        self.per = 2 if self.kind == "maf" else 3 * self.K - 1
        if self.kind == "maf":
            out_mask = get_mask(H, 2 * D, D, "output")
        else:
            out_deg = torch.arange(D * self.per) // self.per - 1
            out_mask = out_deg.unsqueeze(-1).ge((torch.arange(H) % (D - 1)).unsqueeze(0)).float()
        self.mades = nn.ModuleList()
        self.bns = nn.ModuleList() if job.get("batchNorm") else None
        for b in range(job["blocks"]):
            m = MADE(D, C, H, out_mask, self.per)
            set_linear(m.joiner.linear, w, f"m{b}.l1")
            with torch.no_grad():
                m.joiner.cond_linear.weight.copy_(w[f"m{b}.l1c.weight"])
            set_linear(m.l2.linear, w, f"m{b}.l2")
            set_linear(m.l3.linear, w, f"m{b}.l3")
            self.mades.append(m)
            if self.bns is not None:
                self.bns.append(BatchNormFlow(D))
        self.scale = 1 / math.sqrt(H)

    def log_probs(self, x, c):
        logdet = torch.zeros(x.shape[0])
        for b, m in enumerate(self.mades):
            p = m(x, c)
            if self.kind == "maf":
                mu, a = p.chunk(2, 1)
                x = (x - mu) * torch.exp(-a)
                logdet = logdet - a.sum(-1)
            else:
                p = p.view(-1, self.D, self.per)
                K = self.K
                x, ld = rq_spline(x, p[..., :K] * self.scale, p[..., K:2 * K] * self.scale, p[..., 2 * K:], self.B)
                logdet = logdet + ld.sum(-1)
            if self.bns is not None:
                x, ld = self.bns[b](x)
                logdet = logdet + ld
            x = x.flip(1)
        return (-0.5 * x.pow(2) - 0.5 * math.log(2 * math.pi)).sum(-1) + logdet


# ------------------------------------------------------------------ training
def run(d, job, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(job["seed"])
    w = Weights(d, job)
    n, nt = job["rows"], job["train"]
    X = torch.from_numpy(load(d, job["x"], np.float32, (n, -1)).copy())
    perms = load(d, job["perm"], np.uint32, (job["epochs"], nt)).astype(np.int64)
    kind = job["kind"]
    if kind == "flow":
        Cc = torch.from_numpy(load(d, job["c"], np.float32, (n, -1)).copy())
        model = Flow(job["model"], w)
        loss_of = lambda rows, train: -model.log_probs(X[rows], Cc[rows]).mean()
    else:
        Y = torch.from_numpy(load(d, job["y"], np.float32, (n, -1)).copy())
        model = build_mlp(job["model"], w) if kind == "mlp" else Znet(job["model"], w)
        if kind == "mlp":
            loss_of = lambda rows, train: F.binary_cross_entropy_with_logits(model(X[rows]), Y[rows])
        else:
            loss_of = lambda rows, train: F.mse_loss(model(X[rows]), Y[rows])
    opt = torch.optim.Adam(model.parameters(), lr=job["lr"])
    bs = job["batch"]
    val = torch.arange(nt, n)
    tr_all = torch.arange(0, nt)
    curve = []
    c0 = time.process_time()
    t0 = time.perf_counter()
    for e in range(job["epochs"]):
        model.train()
        p = torch.from_numpy(perms[e])
        for s in range(0, nt, bs):
            rows = p[s:s + bs]
            opt.zero_grad()
            loss = loss_of(rows, True)
            loss.backward()
            opt.step()
        with torch.no_grad():
            if kind == "flow" and model.bns is not None:
                # pytorch-flows: running statistics from one training-mode pass over the whole training set
                model.log_probs(X[tr_all], Cc[tr_all])
            model.eval()
            vl = 0.0
            for s in range(0, n - nt, 4096):
                rows = val[s:s + 4096]
                vl += loss_of(rows, False).item() * len(rows)
            curve.append(vl / (n - nt))
    secs = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {"seconds": secs, "cpu_seconds": cpu, "samples_per_s": nt * job["epochs"] / secs,
            "val_loss": curve[-1], "val_curve": curve}


def main():
    d, threads = sys.argv[1], int(sys.argv[2])
    names = sys.argv[3:]
    spec = json.load(open(os.path.join(d, "spec.json")))
    res = {}
    for job in spec["jobs"]:
        if names and job["name"] not in names:
            continue
        res[job["name"]] = run(d, job, threads)
    cfg = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "openmp": torch.backends.openmp.is_available(),
        "dtype": "float32",
        "cpu_capability": torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else None,
        "optimizer": "torch.optim.Adam (defaults: betas 0.9/0.999, eps 1e-8), foreach=None",
        "blas": "OpenBLAS (Debian libopenblas, pthreads) for GEMMs, oneDNN for convolutions",
        "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        "dropout_rng": "torch.manual_seed(job seed)",
    }
    print(json.dumps({"config": cfg, "results": res}))


if __name__ == "__main__":
    main()
