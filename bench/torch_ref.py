#!/usr/bin/python3
"""PyTorch reference for `fluens bench`: the same GEMM sizes and training
workloads, measured with Debian's python3-torch (1.13) on the same machine.

Run it with OMP_WAIT_POLICY=PASSIVE (bench/compare.sh does): with OpenMP's
default spinning wait policy, PyTorch's figures on a 2-core machine swing
threefold (see shared/notes/engine-measurements.md). The script refuses to
run without it unless --allow-active-wait is given.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_ref.py [--threads 2] [--seconds 2]

Each figure also comes per CPU-second of the process (time.process_time,
all threads): "gflops_per_cpu_sec" and "images_per_cpu_sec". At --threads 1
on a loaded machine that is the steady figure to compare with fluens'
images/cpu-s (see bench/README.md).

Prints a JSON array of objects with the same names and fields as
`fluens bench --json`: {"name": "gemm_512x784x512", "gflops": ..., "threads": 2}
for the matrix products (M×K×N) and {"name": "W1", "images_per_sec": ..., "threads": 2}
for training throughput (batch 512, Adam lr 1e-3, softmax cross-entropy,
random 28×28×1 images and labels 0-9, a few warm-up steps, then timed steps).
W3_channels_last is W3 with NHWC (channels_last) memory format.
"""

import argparse
import json
import os
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError as e:  # pragma: no cover - reported to compare.sh
    sys.exit("torch_ref.py: cannot import torch (%s); install Debian's python3-torch" % e)

GEMMS = [(512, 784, 512), (512, 512, 256), (1024, 1024, 1024)]
BATCH = 512


def gemm_gflops(m, k, n, seconds):
    """Best-of GFLOP/s of torch.mm for an m×k by k×n product."""
    g = torch.Generator().manual_seed(1)
    a = torch.rand(m, k, generator=g) * 2 - 1
    b = torch.rand(k, n, generator=g) * 2 - 1
    c = torch.empty(m, n)
    for _ in range(3):
        torch.mm(a, b, out=c)
    best = float("inf")
    best_cpu = float("inf")
    deadline = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        c0 = time.process_time()
        reps = 5
        for _ in range(reps):
            torch.mm(a, b, out=c)
        best_cpu = min(best_cpu, (time.process_time() - c0) / reps)
        best = min(best, (time.perf_counter() - t0) / reps)
        if time.perf_counter() > deadline:
            break
    flops = 2.0 * m * n * k
    return flops / best / 1e9, flops / max(best_cpu, 1e-9) / 1e9


def w1():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))


def w2():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512), nn.ReLU(),
        nn.Linear(512, 256), nn.ReLU(),
        nn.Linear(256, 10),
    )


def w3():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def xavier(model):
    """Glorot-uniform weights and zero biases, as the Go engine initialises."""
    for mod in model.modules():
        if isinstance(mod, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(mod.weight)
            nn.init.zeros_(mod.bias)


def train_images_per_sec(make, seconds, channels_last=False, warmup=3):
    torch.manual_seed(1)
    model = make()
    xavier(model)
    model.train()
    x = torch.rand(BATCH, 1, 28, 28)
    y = torch.randint(0, 10, (BATCH,))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    steps = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    while True:
        step()
        steps += 1
        el = time.perf_counter() - t0
        if el >= seconds and steps >= 3:
            break
    cpu = time.process_time() - c0
    return steps * BATCH / el, steps * BATCH / max(cpu, 1e-9)


def blas_library():
    """The BLAS shared library loaded into this process (torch.mm's backend)."""
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "blas" in os.path.basename(path).lower() or "mkl" in path.lower():
                    libs.add(os.path.realpath(path))
    except OSError:
        return "unknown"
    return ", ".join(sorted(libs)) or "none found"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per figure")
    ap.add_argument("--only", default="", help="comma-separated names to run (default all)")
    ap.add_argument("--allow-active-wait", action="store_true",
                    help="run even if OMP_WAIT_POLICY is not PASSIVE")
    args = ap.parse_args()
    if os.environ.get("OMP_WAIT_POLICY", "").upper() != "PASSIVE" and not args.allow_active_wait:
        sys.exit("torch_ref.py: set OMP_WAIT_POLICY=PASSIVE (OpenMP threads that spin "
                 "make PyTorch's figures unstable on 2 cores), or pass --allow-active-wait")
    torch.set_num_threads(args.threads)
    sys.stderr.write("torch_ref.py: torch %s, %d threads, BLAS %s\n"
                     % (torch.__version__, torch.get_num_threads(), blas_library()))
    only = set(filter(None, args.only.split(",")))

    def want(name):
        return not only or name in only

    out = []
    for m, k, n in GEMMS:
        name = "gemm_%dx%dx%d" % (m, k, n)
        if want(name):
            gf, gf_cpu = gemm_gflops(m, k, n, args.seconds)
            out.append({"name": name, "gflops": round(gf, 2),
                        "gflops_per_cpu_sec": round(gf_cpu, 2), "threads": args.threads})
    for name, make, cl in [("W1", w1, False), ("W2", w2, False), ("W3", w3, False),
                           ("W3_channels_last", w3, True)]:
        if want(name):
            ips, ips_cpu = train_images_per_sec(make, args.seconds, channels_last=cl)
            out.append({"name": name, "images_per_sec": round(ips, 1),
                        "images_per_cpu_sec": round(ips_cpu, 1), "threads": args.threads})
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
