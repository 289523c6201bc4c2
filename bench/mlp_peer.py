"""Peer for bench/classify.ts: scikit-learn's HistGradientBoostingClassifier and a PyTorch MLP on the same arrays.

Called as /usr/bin/python3 classify_peer.py DIR; DIR holds spec.json and raw little-endian arrays written by the
bench. Writes scores back into DIR as float64 and prints one JSON object with timings.
"""
import json
import os
import sys
import time

import numpy as np


def load(d, name, dtype, shape=None):
    a = np.fromfile(os.path.join(d, name), dtype=dtype)
    return a.reshape(shape) if shape else a


def run_hgb(d, spec, out):
    from sklearn.ensemble import HistGradientBoostingClassifier
    for job in spec["hgb_jobs"]:
        nf = job["n_features"]
        X = load(d, job["x"], np.float32, (-1, nf))
        y = load(d, job["y"], np.uint8)
        w = load(d, job["w"], np.float32)
        Xe = load(d, job["x_eval"], np.float32, (-1, nf))
        p = job["params"]
        bags = None
        if job.get("bags"):
            flat = load(d, job["bags"], np.uint32)
            offs = np.concatenate([[0], np.cumsum(job["bag_lengths"])])
            bags = [flat[offs[i]:offs[i + 1]] for i in range(len(job["bag_lengths"]))]
        threads = job.get("threads")
        limiter = None
        if threads:
            from threadpoolctl import threadpool_limits
            limiter = threadpool_limits(limits=threads, user_api="openmp")
        scores = np.zeros(Xe.shape[0])
        secs = []
        iters = []
        for m in range(job["members"]):
            clf = HistGradientBoostingClassifier(
                learning_rate=p["learningRate"], max_iter=p["maxIter"], max_leaf_nodes=p["maxLeafNodes"],
                max_depth=p["maxDepth"] or None, min_samples_leaf=p["minSamplesLeaf"], l2_regularization=p["l2"],
                max_bins=p["maxBins"], early_stopping=p["earlyStopping"], validation_fraction=p["validationFraction"],
                n_iter_no_change=p["nIterNoChange"], tol=p["tol"], random_state=p["seed"] + m)
            Xm, ym, wm = (X, y, w) if bags is None else (X[bags[m]], y[bags[m]], w[bags[m]])
            t = time.perf_counter()
            clf.fit(Xm, ym, sample_weight=wm)
            secs.append(time.perf_counter() - t)
            iters.append(int(clf.n_iter_))
            scores += clf.predict_proba(Xe)[:, 1] / job["members"]
        if limiter is not None:
            limiter.restore_original_limits()
        scores.astype(np.float64).tofile(os.path.join(d, job["scores_out"]))
        out[job["name"]] = {"seconds": secs, "n_iter": iters}


def run_mlp(d, spec, out):
    import torch
    job = spec["mlp_job"]
    nf = job["n_features"]
    nr = job["rows"]
    X = torch.from_numpy(load(d, job["x"], np.float32, (-1, nf))[:nr].copy())
    X = (X - X.mean(0)) / X.std(0)
    y = torch.from_numpy(load(d, job["y"], np.uint8)[:nr].astype(np.float32)).reshape(-1, 1)
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

    epoch()  # warm-up
    t = time.perf_counter()
    for _ in range(job["epochs"]):
        epoch()
    dt = time.perf_counter() - t
    # The idiomatic loop (TensorDataset + shuffling DataLoader), for context: per-batch Python overhead included.
    ds = torch.utils.data.TensorDataset(X, y)
    dl = torch.utils.data.DataLoader(ds, batch_size=bs, shuffle=True)
    t = time.perf_counter()
    for xb, yb in dl:
        opt.zero_grad()
        loss_fn(net(xb), yb).backward()
        opt.step()
    dt_dl = time.perf_counter() - t
    out["mlp"] = {"samples_per_s": n * job["epochs"] / dt, "samples_per_s_dataloader": n / dt_dl,
                  "threads": torch.get_num_threads()}


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "spec.json")) as f:
        spec = json.load(f)
    import sklearn
    out = {"sklearn_version": sklearn.__version__}
    if spec.get("hgb_jobs"):
        run_hgb(d, spec, out)
    if spec.get("mlp_job"):
        import torch
        out["torch_version"] = torch.__version__
        run_mlp(d, spec, out)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
