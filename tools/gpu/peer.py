#!/usr/bin/env python3
"""The peer of tools/bench/gpu.ts: the OFFICIAL Diffusion Bridge PyTorch code on this machine's GPU
(CUDA when torch sees one, else the CPU, said in the output), at the sizes the TypeScript benchmark
was given, so both run on the same card.

The official code is imported at run time from the work tree given by --official (nothing of it is
copied into this repository). Measured:
  train      one step of the official Trainer1D loop without data loader, accelerate, AMP and EMA:
             loss = GaussianDiffusion1D_norm(Unet1D paper config, objective pred_x0)(batch),
             backward, clip_grad_norm_(1.0), Adam(8e-5, (0.9, 0.99)).step(); median after a warm-up.
  bridging   ddim_sample_with_img(x, inference_step=600) with sampling_timesteps=5, then
             F.normalize (make_dataset_with_diffusion_vision.py), per request size; median emb/s.
  augment    q_sample(z, 400) then ddim_sample_with_img(., 400), then F.normalize
             (make_dataset_with_diffusion_text.py), over N captions in batches.
  decoder    transformers' GPT2LMHeadModel (GPT-2 small shape, random weights) behind ClipCap's MLP
             mapper 512 -> 3840 -> 7680 (10 prefix tokens), cross-entropy on caption tokens, AdamW
             step; tokens/s. Skipped (said so) when transformers is not installed.
Inputs are random: speed does not depend on them. Writes one JSON file (--out).
"""
import argparse
import importlib
import importlib.machinery
import json
import os
import statistics
import sys
import time
import types


def placeholder_modules():
    # accelerate / ema_pytorch / tqdm are imported by the official file but unused on these paths
    for name in ("accelerate", "ema_pytorch", "tqdm"):
        try:
            importlib.import_module(name)
            continue
        except ImportError:
            pass
        m = types.ModuleType(name)
        if name == "accelerate":
            m.Accelerator = type("Accelerator", (), {})
        elif name == "ema_pytorch":
            m.EMA = type("EMA", (), {})
        else:
            auto = types.ModuleType("tqdm.auto")
            auto.tqdm = m.tqdm = (lambda it=None, *a, **k: it)
            m.auto = auto
            auto.__spec__ = importlib.machinery.ModuleSpec("tqdm.auto", None)
            sys.modules["tqdm.auto"] = auto
        m.__spec__ = importlib.machinery.ModuleSpec(name, None)
        sys.modules[name] = m


def import_official(root):
    for c in (os.path.join(root, "ddpm", "denoising_diffusion_pytorch"), os.path.join(root, "denoising_diffusion_pytorch"), root):
        if os.path.isfile(os.path.join(c, "denoising_diffusion_pytorch_1d.py")):
            pkg_dir = os.path.abspath(c)
            break
    else:
        raise SystemExit(f"peer: cannot find denoising_diffusion_pytorch_1d.py under {root}")
    placeholder_modules()
    pkg = types.ModuleType("denoising_diffusion_pytorch")
    pkg.__path__ = [pkg_dir]  # the 1-D module without the package __init__ (which needs more packages)
    sys.modules["denoising_diffusion_pytorch"] = pkg
    return importlib.import_module("denoising_diffusion_pytorch.denoising_diffusion_pytorch_1d")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--official", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train-batch", type=int, default=64)
    ap.add_argument("--train-reps", type=int, default=10)
    ap.add_argument("--bridge", default="1,64,1024")
    ap.add_argument("--bridge-reps", type=int, default=3)
    ap.add_argument("--augment-rows", type=int, default=100000)
    ap.add_argument("--augment-batch", type=int, default=4096)
    ap.add_argument("--decoder-layers", type=int, default=12)
    ap.add_argument("--decoder-batch", type=int, default=40)
    ap.add_argument("--decoder-reps", type=int, default=5)
    a = ap.parse_args()

    import torch
    import torch.nn.functional as F
    off = import_official(a.official)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    torch.manual_seed(0)
    L = 512

    def diffusion(steps=None):
        net = off.Unet1D(dim=512, init_dim=32, dim_mults=(1, 2, 4, 8), channels=1)
        return off.GaussianDiffusion1D_norm(net, seq_length=L, timesteps=1000, objective="pred_x0",
                                            sampling_timesteps=steps).to(dev)

    def sphere(n):
        return F.normalize(torch.randn(n, 1, L, device=dev), dim=-1) * 5

    out = {"device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu", "torch": torch.__version__,
           "code": "official Diffusion Bridge (denoising_diffusion_pytorch_1d.py)", "precision": "float32"}

    # training step
    model = diffusion()
    opt = torch.optim.Adam(model.parameters(), lr=8e-5, betas=(0.9, 0.99))
    times = []
    for i in range(a.train_reps + 1):
        x = sphere(a.train_batch)
        sync(); t0 = time.perf_counter()
        loss = model(x)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); opt.zero_grad()
        sync()
        if i > 0:
            times.append(time.perf_counter() - t0)
    s = statistics.median(times)
    out["train"] = {"batch": a.train_batch, "secondsPerStep": s, "stepsPerSecond": 1 / s, "reps": len(times)}
    del model, opt

    # bridging and augmentation (sampling_timesteps = 5)
    model = diffusion(5).eval()
    bridging = {"M": 600, "steps": 5}
    with torch.no_grad():
        for rows in [int(r) for r in a.bridge.split(",")]:
            x = sphere(rows)
            F.normalize(model.ddim_sample_with_img(x, inference_step=600), dim=-1); sync()
            rates = []
            for _ in range(a.bridge_reps):
                t0 = time.perf_counter()
                F.normalize(model.ddim_sample_with_img(x, inference_step=600), dim=-1); sync()
                rates.append(rows / (time.perf_counter() - t0))
            bridging[f"batch{rows}"] = {"request": rows, "embPerSecond": statistics.median(rates), "reps": len(rates)}
        n, bs = a.augment_rows, a.augment_batch
        z = sphere(min(n, bs))
        F.normalize(model.ddim_sample_with_img(model.q_sample(z, torch.tensor([400], device=dev)), inference_step=400), dim=-1); sync()
        t0 = time.perf_counter()
        for s0 in range(0, n, bs):
            z = sphere(min(bs, n - s0))
            F.normalize(model.ddim_sample_with_img(model.q_sample(z, torch.tensor([400], device=dev)), inference_step=400), dim=-1)
        sync()
        sec = time.perf_counter() - t0
        out["augmentation"] = {"A": 400, "steps": 5, "captions": n, "batchSize": bs, "seconds": sec, "captionsPerSecond": n / sec,
                               "note": "includes drawing the random inputs on the device"}
    out["bridging"] = bridging
    del model

    # decoder
    try:
        from transformers import GPT2Config, GPT2LMHeadModel
    except ImportError:
        out["decoder"] = {"unavailable": "transformers is not installed"}
    else:
        gpt = GPT2LMHeadModel(GPT2Config(n_layer=a.decoder_layers)).to(dev)
        mapper = torch.nn.Sequential(torch.nn.Linear(512, 3840), torch.nn.Tanh(), torch.nn.Linear(3840, 7680)).to(dev)
        params = list(gpt.parameters()) + list(mapper.parameters())
        opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
        B, T = a.decoder_batch, 14  # world captions average ~13-15 GPT-2 tokens
        tokens, wall = 0, 0.0
        for i in range(a.decoder_reps + 1):
            ids = torch.randint(0, 50257, (B, T), device=dev)
            emb = F.normalize(torch.randn(B, 512, device=dev), dim=-1)
            sync(); t0 = time.perf_counter()
            prefix = mapper(emb).view(B, 10, 768)
            x = torch.cat([prefix, gpt.transformer.wte(ids[:, :-1])], dim=1)
            logits = gpt(inputs_embeds=x).logits[:, 9:]  # position 9 + t predicts token t
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids.reshape(-1))
            loss.backward(); opt.step(); opt.zero_grad()
            sync()
            if i > 0:
                wall += time.perf_counter() - t0
                tokens += B * T
        out["decoder"] = {"shape": f"GPT2LMHeadModel n_layer={a.decoder_layers} (768 wide, 12 heads, vocabulary 50257) + ClipCap MLP",
                          "batch": B, "tokensPerCaption": T, "tokensPerSecond": tokens / wall, "secondsPerStep": wall / a.decoder_reps}

    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
