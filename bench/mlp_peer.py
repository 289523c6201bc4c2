"""PyTorch peer for bench/classify.ts's MLP timing: seed 000's network (64-64-64-1, ReLU, 5 % dropout, Adam 1e-3,
BCE) on the same rows, the same batch size and the same number of threads as TensorFlow.js runs ours with.

Called as /usr/bin/python3 mlp_peer.py DIR; DIR holds spec.json and raw little-endian arrays written by the bench.
Prints one JSON object: samples/s over the timed epochs (a hand-written loop over a shuffled index, and the
idiomatic DataLoader loop for context), the thread count, versions. Used only by the benchmark.
"""
import json
import os
import sys
import time

import numpy as np


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "spec.json")) as f:
        job = json.load(f)
    import torch
    torch.set_num_threads(job["threads"])
    nf = job["n_features"]
    X = torch.from_numpy(np.fromfile(os.path.join(d, job["x"]), dtype=np.float32).reshape(-1, nf).copy())
    X = (X - X.mean(0)) / X.std(0)
    y = torch.from_numpy(np.fromfile(os.path.join(d, job["y"]), dtype=np.uint8).astype(np.float32)).reshape(-1, 1)
    torch.manual_seed(0)
    layers = []
    prev = nf
    for h in job["hidden"]:
        layers += [torch.nn.Linear(prev, h), torch.nn.ReLU(), torch.nn.Dropout(job["dropout"])]
        prev = h
    layers += [torch.nn.Linear(prev, 1), torch.nn.Sigmoid()]
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCELoss()
    bs = job["batch"]
    n = X.shape[0]

    def epoch():
        perm = torch.randperm(n)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            opt.zero_grad()
            loss = loss_fn(net(X[idx]), y[idx])
            loss.backward()
            opt.step()

    epoch()  # warm-up, as ours skips its first epoch
    t = time.perf_counter()
    for _ in range(job["epochs"]):
        epoch()
    dt = time.perf_counter() - t
    dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=bs, shuffle=True)
    t = time.perf_counter()
    for xb, yb in dl:
        opt.zero_grad()
        loss_fn(net(xb), yb).backward()
        opt.step()
    dt_dl = time.perf_counter() - t
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(), "batch": bs, "rows": n,
        "epochs_timed": job["epochs"], "samples_per_s": n * job["epochs"] / dt, "samples_per_s_dataloader": n / dt_dl,
    }))


if __name__ == "__main__":
    main()
