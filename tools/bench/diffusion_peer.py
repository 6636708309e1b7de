#!/usr/bin/env python3
"""The peer of tools/bench/diffusion.ts: the OFFICIAL Diffusion Bridge PyTorch code on this machine's
CPU, timed in the same `npm run bench -- --only diffusion` run as dbridge, so every ratio is side by side.

The official 1-D module is imported at run time from the work tree given by --official (with
tools/gpu/peer.py's import_official; nothing of it is copied into this repository). Per config
(paper: Unet1D 512/32/(1,2,4,8) on L = 512; small: 64/8/(1,2) on L = 64), with torch on --threads:
  train     one optimiser step of the official Trainer1D loop without data loader, accelerate, AMP
            and EMA: loss = GaussianDiffusion1D_norm(Unet1D, objective pred_x0)(x) (p_losses at a
            random t), backward, clip_grad_norm_(1.0), Adam(8e-5, (0.9, 0.99)).step(); median of
            the steps after one warm-up step.
  bridging  ddim_sample_with_img(x, inference_step=600) with sampling_timesteps=5, then F.normalize
            (make_dataset_with_diffusion_vision.py), under no_grad, on requests of 1, 64 and 1024
            rows, each request in ONE call (as the official script does); emb/s, median over the
            repetitions after a warm-up call on min(rows, 64) rows.
Every loop stops repeating after --max-seconds (at least one measured repetition). Inputs are random
on the radius-5 sphere: speed does not depend on them. Prints one JSON object on stdout.
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gpu"))
from peer import import_official  # noqa: E402  (tools/gpu/peer.py)

CONFIGS = {  # name: (Unet1D kwargs, vector length L), as test/fixtures/diffusion/make_fixtures.py
    "paper": ({"dim": 512, "init_dim": 32, "dim_mults": (1, 2, 4, 8), "channels": 1}, 512),
    "small": ({"dim": 64, "init_dim": 8, "dim_mults": (1, 2), "channels": 1}, 64),
}


def timed_reps(fn, max_reps, max_seconds):
    """Seconds of each call of fn, up to max_reps calls or until max_seconds have passed (>= 1 call)."""
    times, start = [], time.perf_counter()
    while len(times) < max_reps:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > max_seconds:
            break
    return times


def train_step(a, diffusion, sphere):
    """Median seconds of an optimiser step at batch a.train_batch after a warm-up step."""
    import torch
    model = diffusion()
    opt = torch.optim.Adam(model.parameters(), lr=8e-5, betas=(0.9, 0.99))

    def step():
        loss = model(sphere(a.train_batch))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()

    step()  # warm-up
    times = timed_reps(step, a.train_reps, a.max_seconds)
    return {"batch": a.train_batch, "seconds": statistics.median(times), "reps": len(times)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--official", required=True, help="work tree of the official Diffusion Bridge code")
    ap.add_argument("--configs", default="small,paper")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--train-batch", type=int, default=64)
    ap.add_argument("--train-reps", type=int, default=10)
    ap.add_argument("--bridge", default="1,64,1024")
    ap.add_argument("--bridge-reps", type=int, default=5)
    ap.add_argument("--max-seconds", type=float, default=60, help="per measure")
    ap.add_argument("--no-train", action="store_true", help="bridging only")
    a = ap.parse_args()

    import torch
    import torch.nn.functional as F
    torch.set_num_threads(a.threads)
    off = import_official(a.official)
    torch.manual_seed(0)
    out = {"code": "official Diffusion Bridge (denoising_diffusion_pytorch_1d.py: Unet1D, GaussianDiffusion1D_norm)",
           "torch": torch.__version__, "threads": torch.get_num_threads(), "device": "cpu", "precision": "float32",
           "python": sys.version.split()[0]}

    for name in a.configs.split(","):
        kwargs, L = CONFIGS[name]

        def diffusion(steps=None):
            return off.GaussianDiffusion1D_norm(off.Unet1D(**kwargs), seq_length=L, timesteps=1000,
                                                objective="pred_x0", sampling_timesteps=steps)

        def sphere(n):
            return F.normalize(torch.randn(n, 1, L), dim=-1) * 5

        res = {"params": sum(p.numel() for p in off.Unet1D(**kwargs).parameters())}
        if not a.no_train:
            res["train"] = train_step(a, diffusion, sphere)
            print(f"peer {name} train batch {a.train_batch}: {res['train']['seconds']:.3f} s", file=sys.stderr)

        model = diffusion(5).eval()
        bridging = {}
        with torch.no_grad():
            for rows in [int(r) for r in a.bridge.split(",")]:
                x = sphere(rows)
                F.normalize(model.ddim_sample_with_img(x[:64], inference_step=600), dim=-1)  # warm-up
                times = timed_reps(lambda: F.normalize(model.ddim_sample_with_img(x, inference_step=600), dim=-1),
                                   a.bridge_reps, a.max_seconds)
                bridging[str(rows)] = {"embPerSecond": rows / statistics.median(times), "reps": len(times)}
                print(f"peer {name} bridge batch {rows}: {bridging[str(rows)]['embPerSecond']:.2f} emb/s", file=sys.stderr)
        res["bridging"] = bridging
        out[name] = res
        del model
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
