"""scikit-learn peer for the benches: trains HistGradientBoostingClassifier on the shipped path's training jobs.

bench/sklearn-trainer.ts starts this with Debian's /usr/bin/python3 and sends one JSON job per line on stdin;
arrays travel as raw little-endian files in a directory the bench owns. Each job names a data set (feature matrix,
labels, weights, written once), its training, validation and scoring rows, the hyperparameters and the seed; the
reply (one JSON line) names the file of raw scores (logits, float64) per scored row set, the fit's seconds, its
iterations and the weighted log-loss on the validation rows. The first line printed describes the configuration:
versions, the thread limit and the OpenMP/BLAS thread pools threadpoolctl sees.

Early stopping: scikit-learn 1.2 cannot take explicit validation rows, so it is fitted on the training and
validation rows together with validation_fraction = |validation| / (|training| + |validation|) and the same
n_iter_no_change, tol and scoring (the loss): the same policy and the same validation size, drawn at random from
the same rows (the test fold is never among them). Used only by benchmarks, never at runtime.
"""
import json
import os
import sys
import time

import numpy as np


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    from threadpoolctl import threadpool_info, threadpool_limits
    threadpool_limits(limits=threads)
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier
    hello = {
        "ready": True, "sklearn": sklearn.__version__, "numpy": np.__version__, "threads": threads,
        "threadpools": [{k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
                        for p in threadpool_info()],
    }
    print(json.dumps(hello), flush=True)
    data = {}
    for line in sys.stdin:
        job = json.loads(line)
        try:
            d = job["dir"]
            key = job["data"]
            if key not in data:
                nf = job["n_features"]
                X = np.fromfile(os.path.join(d, f"{key}_x.f32"), dtype=np.float32).reshape(-1, nf)
                y = np.fromfile(os.path.join(d, f"{key}_y.u8"), dtype=np.uint8)
                w = np.fromfile(os.path.join(d, f"{key}_w.f32"), dtype=np.float32)
                data.clear()
                data[key] = (X, y, w)
            X, y, w = data[key]
            rows = lambda f: np.fromfile(os.path.join(d, f), dtype=np.uint32).astype(np.int64)
            train = rows(job["train"])
            val = rows(job["validation"])
            p = job["params"]
            early = bool(p["earlyStopping"]) and len(val) > 0
            fit_rows = np.sort(np.concatenate([train, val])) if early else train
            clf = HistGradientBoostingClassifier(
                learning_rate=p["learningRate"], max_iter=p["maxIter"], max_leaf_nodes=p["maxLeafNodes"],
                max_depth=p["maxDepth"] or None, min_samples_leaf=p["minSamplesLeaf"], l2_regularization=p["l2"],
                max_bins=p["maxBins"], early_stopping=early, scoring="loss",
                validation_fraction=(len(val) / len(fit_rows)) if early else None,
                n_iter_no_change=p["nIterNoChange"], tol=p["tol"], random_state=job["seed"] % (2 ** 32))
            t = time.perf_counter()
            clf.fit(X[fit_rows], y[fit_rows], sample_weight=w[fit_rows])
            secs = time.perf_counter() - t
            outs = []
            for k, f in enumerate(job["score"]):
                r = rows(f)
                out = f"{f}.scores.f64"
                raw = clf.decision_function(X[r]) if len(r) else np.zeros(0)
                np.asarray(raw, dtype=np.float64).tofile(os.path.join(d, out))
                outs.append(out)
            vloss = None
            if len(val):
                raw = clf.decision_function(X[val]).astype(np.float64)
                sp = np.where(raw > 0, raw + np.log1p(np.exp(-np.abs(raw))), np.log1p(np.exp(raw)))
                wv = w[val].astype(np.float64)
                vloss = float(np.sum(wv * (sp - y[val] * raw)) / np.sum(wv))
            reply = {"id": job["id"], "scores": outs, "seconds": secs, "n_iter": int(clf.n_iter_),
                     "validation_loss": vloss}
        except Exception as e:  # the bench reports it against the job
            reply = {"id": job.get("id"), "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
