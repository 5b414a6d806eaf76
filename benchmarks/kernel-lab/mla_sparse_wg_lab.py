#!/usr/bin/env python3
"""Kernel lab: the sparse MLA core on Hopper's warpgroup tensor cores (Kernels/mla_sparse_wg.cu) against the engine's
mma.sync chain (Kernels/mla_absorbed_tc.cu: mla_abs_qk, mla_abs_prob, mla_abs_pv, mla_abs_combine) and a float64 torch
reference, from absorbed queries qa [T, 128, 576] bf16 and a bf16 cache (latent [N, 512], k_pe [N, 64]) read in place:

    s = (qa . key) * scale,  p = bf16(exp(s - max) / sum),  o_lat = bf16(sum p latent)

Checks (normalised max error against the reference, bar 1/128 as the op tests; the two kernels against each other),
then times both at decode and prefill shapes with the useful work T x 128 x width x (576 + 512) x 2 FLOP.

Usage (H200): python3 benchmarks/kernel-lab/mla_sparse_wg_lab.py [--quick] [--variant "#define MSW_PV_STAGES 4"] [--profile]
"""
import argparse
import sys

import torch

from nvrtc_lab import compile_module, func, launch, regs, timed, I64

ap = argparse.ArgumentParser()
ap.add_argument("--quick", action="store_true", help="fewer timing shapes")
ap.add_argument("--variant", default="", help="#defines put in front of mla_sparse_wg.cu, ';'-separated")
ap.add_argument("--reps", type=int, default=10)
ap.add_argument("--profile", action="store_true", help="only launch each kernel once at 4096 x 2048 of 8K keys (for ncu)")
args = ap.parse_args()

H, LORA, ROPE, KW, TILE = 128, 512, 64, 576, 32
SCALE = 0.1352338
SMS = torch.cuda.get_device_properties(0).multi_processor_count
QK_SHARED_OF = lambda st: 1024 + st * (KW * TILE * 2 + 16 + TILE * 4)
PV_SHARED_OF = lambda st: 1024 + st * (LORA // 2 * TILE * 2 + 128 * TILE * 2 + 16)


def define(name, default):
    for d in args.variant.split(";"):
        parts = d.split()
        if len(parts) == 3 and parts[1] == name:
            return int(parts[2])
    return default


QK_SHARED = QK_SHARED_OF(define("MSW_QK_STAGES", 6))
PV_SHARED = PV_SHARED_OF(define("MSW_PV_STAGES", 8))

wg = compile_module("mla_sparse_wg.cu", args.variant.replace(";", "\n") + "\n")
F_QKW = func(wg, "mla_sparse_qk_wg", QK_SHARED)
F_PVW = func(wg, "mla_sparse_pv_wg", PV_SHARED)
tc = compile_module("mla_absorbed_tc.cu")
F_QK = func(tc, "mla_abs_qk", 200 * 1024)
F_PROB = func(tc, "mla_abs_prob")
F_PV = func(tc, "mla_abs_pv", 200 * 1024)
F_COMBINE = func(tc, "mla_abs_combine")
for n, f in [("mla_sparse_qk_wg", F_QKW), ("mla_sparse_pv_wg", F_PVW), ("mla_abs_qk", F_QK), ("mla_abs_pv", F_PV)]:
    r, local = regs(f)
    print(f"  {n}: {r} registers, {local} bytes local", flush=True)


def cdiv(a, b):
    return (a + b - 1) // b


def wave_splits(tiles, resident, blocks, min_tiles):
    """MlaLauncher.WaveSplits: (count, slots each)."""
    want = max(1, min(resident // max(blocks, 1), max(tiles // min_tiles, 1)))
    per = cdiv(max(tiles, 1), want)
    return cdiv(max(tiles, 1), per), per * TILE


def run_wg(qa, lat, kpe, idx, width, T, pos0, lse=None, part=None):
    """MlaLauncher's warpgroup path: mla_sparse_qk_wg, mla_abs_prob, mla_sparse_pv_wg (+ combine). part "qk" / "prob" /
    "pv" launches that kernel alone (the others' outputs from a cache of the last full run)."""
    slots_pad = cdiv(width if idx is not None else pos0 + T, TILE) * TILE
    tiles = slots_pad // TILE
    qk_splits, qk_slots = wave_splits(tiles, SMS, T * cdiv(H, 128), 4)
    pv_splits, pv_slots = wave_splits(tiles, SMS, T * 2 * cdiv(H, 128), 4)
    key = (T, width, pos0)
    if part is None or key not in CACHE:
        CACHE[key] = (torch.empty(T * H * slots_pad, device="cuda", dtype=torch.float32),
                      torch.empty(T * H * slots_pad, device="cuda", dtype=torch.int16))
    scores, prob = CACHE[key]
    if part in (None, "qk"):
        launch(F_QKW, (cdiv(H, 128), qk_splits, T), (256,), QK_SHARED, qa, lat, kpe, idx, scores, width, pos0, H,
               slots_pad, qk_slots, SCALE)
    if part in (None, "prob"):
        launch(F_PROB, (H, T), (256,), 0, scores, prob, lse, H, slots_pad)
    if part not in (None, "pv"):
        return None
    opart = torch.empty(T * pv_splits * H * LORA, device="cuda", dtype=torch.float32)
    launch(F_PVW, (2 * cdiv(H, 128), pv_splits, T), (256,), PV_SHARED, lat, idx, prob, opart, None, width, pos0, H, slots_pad,
           pv_slots)
    if pv_splits == 1:
        return opart
    olat = torch.empty(T * H * LORA, device="cuda", dtype=torch.float32)
    launch(F_COMBINE, (cdiv(T * H * LORA, 256),), (256,), 0, opart, olat, None, I64(H * LORA), pv_splits, I64(T * H * LORA))
    return olat


CACHE = {}


def run_chain(qa, lat, kpe, idx, width, T, pos0):
    """MlaLauncher.AbsorbedTensorCores' middle for a bf16 cache in place: scores, probabilities, PV (+ combine)."""
    slots_pad = cdiv(width if idx is not None else pos0 + T, TILE) * TILE
    tiles = slots_pad // TILE
    qk_splits, qk_slots = wave_splits(tiles, SMS, T * cdiv(H, 128), 1)
    pv_splits, pv_slots = wave_splits(tiles, 2 * SMS, T * 2 * cdiv(H, 64), 4)
    scores = torch.empty(T * H * slots_pad, device="cuda", dtype=torch.float32)
    launch(F_QK, (cdiv(H, 128), qk_splits, T), (256,), 3 * TILE * (KW + 8) * 2,
           qa, lat, kpe, LORA, ROPE, LORA, LORA + ROPE, idx, scores, width, pos0, 0, H, KW, slots_pad, qk_slots, SCALE)
    prob = torch.empty(T * H * slots_pad, device="cuda", dtype=torch.int16)
    launch(F_PROB, (H, T), (256,), 0, scores, prob, None, H, slots_pad)
    opart = torch.empty(T * pv_splits * H * LORA, device="cuda", dtype=torch.float32)
    launch(F_PV, (2 * cdiv(H, 64), pv_splits, T), (256,), 3 * TILE * (LORA // 2 + 8) * 2 + 3 * 64 * (TILE + 8) * 2,
           lat, idx, prob, opart, None, width, pos0, 0, H, LORA, LORA, slots_pad, pv_slots)
    if pv_splits == 1:
        return opart
    olat = torch.empty(T * H * LORA, device="cuda", dtype=torch.float32)
    launch(F_COMBINE, (cdiv(T * H * LORA, 256),), (256,), 0, opart, olat, None, I64(H * LORA), pv_splits, I64(T * H * LORA))
    return olat


def bits(x):
    return x.to(torch.bfloat16).view(torch.int16).contiguous()


def inputs(T, N, width, seed, causal=True, sparse=True):
    torch.manual_seed(seed)
    qa = torch.randn(T, H, KW, device="cuda").to(torch.bfloat16)
    lat = torch.randn(N, LORA, device="cuda").to(torch.bfloat16)
    kpe = torch.randn(N, ROPE, device="cuda").to(torch.bfloat16)
    pos0 = N - T
    idx = None
    if sparse:
        idx = torch.full((T, width), -1, dtype=torch.int32, device="cuda")
        for t in range(T):
            vis = pos0 + t + 1 if causal else N
            pick = torch.randperm(vis, device="cuda")[:min(width, vis)].sort().values
            idx[t, :pick.numel()] = pick.int()
    return qa, lat, kpe, idx, pos0


def reference(qa, lat, kpe, idx, width, T, pos0, rows):
    keys_all = torch.cat([lat, kpe], 1).double()
    out, lses = {}, {}
    for t in rows:
        keys = torch.arange(pos0 + t + 1, device="cuda") if idx is None else idx[t][idx[t] >= 0].long()
        k = keys_all[keys]
        s = ((qa[t].double() @ k.T) * SCALE).float()
        p = torch.softmax(s.double(), -1).float().to(torch.bfloat16).double()
        out[t] = (p @ k[:, :LORA]).float().to(torch.bfloat16).float()
        lses[t] = torch.logsumexp(s.double(), -1).float()
    return out, lses


FAILED = []


def check(name, T, N, width, sparse=True, heads_note=""):
    qa, lat, kpe, idx, pos0 = inputs(T, N, width, T * 31 + N, sparse=sparse)
    w = width if sparse else 0
    flat_idx = idx.flatten().contiguous() if idx is not None else None
    lse = torch.empty(T * H, device="cuda", dtype=torch.float32)
    got = run_wg(bits(qa), bits(lat), bits(kpe), flat_idx, w, T, pos0, lse).view(T, H, LORA)
    chain = run_chain(bits(qa), bits(lat), bits(kpe), flat_idx, w, T, pos0).view(T, H, LORA)
    torch.cuda.synchronize()
    rows = range(T) if T <= 8 else [0, 1, T // 2, T - 1]
    ref, ref_lse = reference(qa, lat, kpe, idx, w, T, pos0, rows)
    scale = max(r.abs().max().item() for r in ref.values())
    err_wg = max((got[t] - r).abs().max().item() for t, r in ref.items()) / scale
    err_chain = max((chain[t] - r).abs().max().item() for t, r in ref.items()) / scale
    diff = (got - chain).abs().max().item() / scale
    lse_err = max((lse.view(T, H)[t] - r).abs().max().item() for t, r in ref_lse.items())
    nan = torch.isnan(got).any().item()
    ok = err_wg <= 1 / 128 and not nan and lse_err < 1e-3
    FAILED.extend([] if ok else [name])
    print(f"{'PASS' if ok else 'FAIL'} {name}: wg {err_wg:.3g}, chain {err_chain:.3g} (normalised vs reference), "
          f"wg - chain {diff:.3g}, lse {lse_err:.2g}, nan={nan}", flush=True)


def bench(name, T, N, width):
    qa, lat, kpe, idx, pos0 = inputs(T, N, width, 5, causal=False)
    qa, lat, kpe, idx = bits(qa), bits(lat), bits(kpe), idx.flatten().contiguous()
    flop = T * H * width * (KW + LORA) * 2
    t_wg = timed(lambda: run_wg(qa, lat, kpe, idx, width, T, pos0), args.reps)
    t_ch = timed(lambda: run_chain(qa, lat, kpe, idx, width, T, pos0), args.reps)
    run_wg(qa, lat, kpe, idx, width, T, pos0)
    t_qk, t_prob, t_pv = (timed(lambda: run_wg(qa, lat, kpe, idx, width, T, pos0, part=k), args.reps) for k in ("qk", "prob", "pv"))
    f_qk, f_pv = T * H * width * KW * 2, T * H * width * LORA * 2   # tensor work of each kernel
    print(f"  {name:28s} chain {t_ch * 1e3:8.3f} ms ({flop / t_ch / 1e12:6.1f} TFLOP/s)   "
          f"wg {t_wg * 1e3:8.3f} ms ({flop / t_wg / 1e12:6.1f} TFLOP/s, {flop / t_wg / 990e12 * 100:4.1f} % of 990)   "
          f"chain / wg {t_ch / t_wg:5.2f}\n  {'':28s} qk {t_qk * 1e3:.3f} ms ({f_qk / t_qk / 1e12:.0f} TFLOP/s), "
          f"prob {t_prob * 1e3:.3f} ms, pv (+ combine) {t_pv * 1e3:.3f} ms ({f_pv / t_pv / 1e12:.0f} TFLOP/s)", flush=True)


if args.profile:   # one launch of each kernel at the prefill shape, for ncu
    qa, lat, kpe, idx, pos0 = inputs(4096, 8192, 2048, 5, causal=False)
    run_wg(bits(qa), bits(lat), bits(kpe), idx.flatten().contiguous(), 2048, 4096, pos0)
    torch.cuda.synchronize()
    sys.exit(0)

print("correctness (128 heads, kv_lora 512, rope 64):")
check("decode 1 x 2048 of 3000 keys", 1, 3000, 2048)
check("decode 4 x 2048 of 3000 keys", 4, 3000, 2048)
check("24 queries x 256 of 624 keys", 24, 624, 256)
check("3 queries, dense causal over 53 keys", 3, 53, 0, sparse=False)
check("prefill 300 x 2048 of 2500 keys", 300, 2500, 2048)
check("short rows: 5 x 40 of 45 keys", 5, 45, 40)

print("timing (random selections; torch events, warm):")
shapes = [("decode B=1, 2048 of 4K", 1, 4096, 2048), ("decode B=32, 2048 of 4K", 32, 4096, 2048),
          ("decode B=128, 2048 of 4K", 128, 4096, 2048), ("prefill 4096, 2048 of 8K", 4096, 8192, 2048)]
if not args.quick:
    shapes += [("decode B=128, 2048 of 128K", 128, 131072, 2048), ("prefill 4096, 2048 of 128K", 4096, 131072, 2048)]
for s in shapes:
    bench(*s)
print("ALL PASS" if not FAILED else f"FAILED: {FAILED}")
sys.exit(1 if FAILED else 0)
