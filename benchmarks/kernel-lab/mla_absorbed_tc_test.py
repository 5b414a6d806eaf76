#!/usr/bin/env python3
"""GPU check and timing of the tensor-core absorbed MLA (Kernels/mla_absorbed_tc.cu) against a torch reference of
IComputeDevice.MlaAbsorbed. Compiles the .cu with NVRTC (common.cuh in front, the runtime's options) and launches the
kernels in the order and with the arguments MlaLauncher.AbsorbedTensorCores uses.

The lab's fused "flash" kernels (kernels/mla_flash_mma.cu, kernels/mla_flash_wgmma.cu; not in the engine yet, see
kernels/mla_flash_lab.h200.txt) replace the qk / prob / pv chain by default: --old runs the chain, --no-wg the mma.sync
flash kernel instead of the wgmma one (sm_90a), --no-direct feeds gathered bf16 rows instead of the F32 cache, and
--cache-bf16 has the wgmma kernel read the selected rows in place from a bf16 cache (the engine's GPU layout).

Usage (GPU box): python3 benchmarks/kernel-lab/mla_absorbed_tc_test.py [--old] [--no-wg] [--no-direct] [--cache-bf16]
                 [--bench | --compare [--wg-only]] [--variant="#define X;#define Y"]
"""
import math
import sys

import torch

from nvrtc_lab import compile_module, func, launch, regs, I64  # noqa: E402


def use(defines=""):
    """Compiles the kernels (optionally with extra #defines in front) and makes them the ones mla_tc launches."""
    global F_KEYS, F_QPE, F_GEMM, F_GEMV, F_COMBINE, F_QK, F_QK_DIRECT, F_PV, F_PROB
    global F_FLASH, F_FLASH_DIRECT, F_FLASH_COMBINE, F_FLASH_WG, F_FLASH_WG_DIRECT, F_FLASH_WG_CACHE
    mod = compile_module("mla_absorbed_tc.cu", defines, lab_files=("mla_flash_mma.cu",))
    F_KEYS = func(mod, "mla_abs_keys")
    F_QPE = func(mod, "mla_abs_qpe")
    F_GEMM = func(mod, "mla_abs_gemm")
    F_GEMV = func(mod, "mla_abs_gemv")
    F_PROB = func(mod, "mla_abs_prob")
    F_COMBINE = func(mod, "mla_abs_combine")
    F_QK = func(mod, "mla_abs_qk", 200 * 1024)
    F_QK_DIRECT = func(mod, "mla_abs_qk_direct", 222 * 1024)
    F_PV = func(mod, "mla_abs_pv", 200 * 1024)
    F_FLASH = func(mod, "mla_abs_flash", 200 * 1024)
    F_FLASH_DIRECT = func(mod, "mla_abs_flash_direct", 226 * 1024)
    F_FLASH_COMBINE = func(mod, "mla_abs_flash_combine")
    if torch.cuda.get_device_capability() == (9, 0):
        wmod = compile_module("mla_absorbed_tc.cu", defines, lab_files=("mla_flash_wgmma.cu",))
        F_FLASH_WG = func(wmod, "mla_abs_flash_wg", 200 * 1024)
        F_FLASH_WG_DIRECT = func(wmod, "mla_abs_flash_wg_direct", 226 * 1024)
        F_FLASH_WG_CACHE = func(wmod, "mla_abs_flash_wg_cache", 200 * 1024)
        for n, f in [("flash_wg", F_FLASH_WG), ("flash_wg_direct", F_FLASH_WG_DIRECT), ("flash_wg_cache", F_FLASH_WG_CACHE)]:
            r, local = regs(f)
            print(f"  {n}: {r} registers, {local} bytes local", flush=True)
    for n, f in [("qk", F_QK), ("qk_direct", F_QK_DIRECT), ("pv", F_PV), ("gemm", F_GEMM), ("flash", F_FLASH),
                 ("flash_direct", F_FLASH_DIRECT)]:
        r, local = regs(f)
        print(f"  {n}: {r} registers, {local} bytes local", flush=True)


use()
SMS = torch.cuda.get_device_properties(0).multi_processor_count
TILE = 32
FAILED = []
DIRECT = "--no-direct" not in sys.argv   # decode QK reads the F32 cache itself (else the separate gather pass)
FLASH = "--old" not in sys.argv          # the fused flash kernel (else the qk / prob / pv chain)
FLASH_MIN_TILES = 2
WG = "--no-wg" not in sys.argv and torch.cuda.get_device_capability() == (9, 0)   # wgmma kernel (kv_lora 512)
CACHE16 = "--cache-bf16" in sys.argv     # wgmma flash over selected rows read in place from a bf16 cache (the engine's GPU layout)
_BF16 = {}


def bf16_bits(x):
    """A bf16 copy (as int16 bits) of an F32 cache tensor holding bf16 values, made once per tensor."""
    key = (x.data_ptr(), x.numel())
    if key not in _BF16:
        _BF16[key] = x.to(torch.bfloat16).view(torch.int16)
    return _BF16[key]


def cdiv(a, b):
    return (a + b - 1) // b


def splits(tiles, target, blocks):
    want = min(max(cdiv(target, max(blocks, 1)), 1), max(tiles, 1))
    per = cdiv(max(tiles, 1), want)
    return cdiv(max(tiles, 1), per), per * TILE


def pv_splits(tiles, target, blocks):
    """MlaLauncher.PvSplits: whole waves (floor), at least 4 tiles per split."""
    want = min(max(target // max(blocks, 1), 1), max(tiles // 4, 1))
    per = cdiv(max(tiles, 1), want)
    return cdiv(max(tiles, 1), per), per * TILE


def whole_cache_keys(latent, rope_keys, end, lora, rope, kw):
    """kc rows [end, kw] bf16 bits = latent | k_pe | zeros, one per cache position."""
    kc = torch.empty(end * kw, device="cuda", dtype=torch.int16)
    launch(F_KEYS, (end,), (64,), 0, latent, rope_keys, None, kc, lora, rope, kw)
    return kc


def token_chunk(T, per_token, chunk_bytes):
    """Query tokens per chunk so the temporaries stay near chunk_bytes; whole waves of one-token blocks."""
    chunk = min(max(chunk_bytes // max(per_token, 1), 1), T)
    return chunk // SMS * SMS if T > chunk > SMS else chunk


def absorb_q(qc, wkvb, qa, tc, H, nope, rope, v, lora, kw):
    """qa[:, :, :lora] = bf16(W_UK^T q_nope) (matrix-vector kernel up to 4 rows), qa[:, :, lora:] = bf16(q_pe) | 0."""
    rows = tc <= 4 and nope <= 512
    launch(F_GEMV if rows else F_GEMM, (cdiv(lora, 64), H) if rows else (cdiv(lora, 128), H, cdiv(tc, 128)), (256,), 0,
           qc, I64(H * (nope + rope)), I64(nope + rope), wkvb, I64((nope + v) * lora), 1, lora, qa, I64(H * kw), I64(kw),
           1, tc, lora, nope)
    tail = tc * H * (kw - lora)
    launch(F_QPE, (cdiv(tail, 256),), (256,), 0, qc, None, qa, I64(tc * H), nope, rope, lora, kw)


def project_out(olat, wkvb, out, tc, H, nope, v, lora):
    """out = bf16(W_UV o_lat) per head."""
    rows = tc <= 4 and nope <= 512
    launch(F_GEMV if rows else F_GEMM, (cdiv(v, 8), H) if rows else (cdiv(v, 128), H, cdiv(tc, 128)), (256,), 0,
           olat, I64(H * lora), I64(lora),
           wkvb[nope * lora:], I64((nope + v) * lora), 0, lora, out, I64(H * v), I64(v), 0, tc, v, lora)


def flash_splits(tiles, blocks):
    want = min(max(cdiv(SMS, max(blocks, 1)), 1), max(tiles // FLASH_MIN_TILES, 1), 128)
    per = cdiv(max(tiles, 1), want)
    return cdiv(max(tiles, 1), per), per * TILE


def mla_flash(q, wkvb, latent, rope_keys, idx, width, T, start, H, nope, rope, v, lora, scale, chunk_bytes=1 << 30):
    """The flash path: keys (whole cache, or gathered rows if not direct), UK product, qpe, flash, combine, UV product."""
    kw = cdiv(lora + rope, 16) * 16
    qk = nope + rope
    end = start + T
    out = torch.empty(T * H * v, device="cuda", dtype=torch.float32)
    in_place = CACHE16 and WG and lora == 512 and idx is not None
    gathered = not in_place and idx is not None and width > 0 and T * width < end
    direct = gathered and DIRECT
    all_keys = None if gathered or in_place else whole_cache_keys(latent, rope_keys, end, lora, rope, kw)
    per_token = H * (kw * 2 + lora * 4 * 2) + (width * kw * 2 if gathered and not direct else 0)
    chunk = token_chunk(T, per_token, chunk_bytes)
    shared = 64 * (kw + 8) * 2 + 2 * TILE * (kw + 8) * 2 + 64 * (TILE + 8) * 2
    for t0 in range(0, T, chunk):
        tc = min(chunk, T - t0)
        pos0 = start + t0
        slots = width if idx is not None else pos0 + tc
        tiles = cdiv(slots, TILE)
        n_split, split_slots = flash_splits(tiles, tc * cdiv(H, 64))
        ix = None if idx is None else idx[t0 * width:]
        qa = torch.empty(tc * H * kw, device="cuda", dtype=torch.int16)
        olat = torch.empty(tc * H * lora, device="cuda", dtype=torch.float32)
        kc = all_keys
        if gathered and not direct:
            kc = torch.empty(tc * width * kw, device="cuda", dtype=torch.int16)
            launch(F_KEYS, (tc * width,), (64,), 0, latent, rope_keys, ix, kc, lora, rope, kw)
        absorb_q(q[t0 * H * qk:], wkvb, qa, tc, H, nope, rope, v, lora, kw)
        opart = olat if n_split == 1 else torch.empty(tc * n_split * H * lora, device="cuda", dtype=torch.float32)
        stats = None if n_split == 1 else torch.empty(tc * n_split * H * 2, device="cuda", dtype=torch.float32)
        grid = (cdiv(H, 64), n_split, tc)
        # the wgmma kernels (kv_lora 512) or the mma.sync ones: same arguments, their own shared memory
        if WG and lora == 512:
            chunks = cdiv(kw, 64)
            base = 1024 + 64 * 128 * chunks + 2 * TILE * 128 * chunks
            f_direct, f_rows = F_FLASH_WG_DIRECT, F_FLASH_WG
        else:
            base, f_direct, f_rows = shared, F_FLASH_DIRECT, F_FLASH
        if in_place:   # wgmma only
            launch(F_FLASH_WG_CACHE, grid, (256,), base, qa, bf16_bits(latent), bf16_bits(rope_keys), rope, ix,
                   opart, stats, width, H, kw, split_slots, scale)
        elif direct:
            launch(f_direct, grid, (256,), base + TILE * kw * 4,
                   qa, latent, rope_keys, lora, rope, ix, opart, stats, width, H, kw, split_slots, scale)
        else:
            launch(f_rows, grid, (256,), base,
                   qa, kc, ix, opart, stats, width, pos0, int(gathered), H, kw, lora, split_slots, scale)
        if n_split > 1:
            launch(F_FLASH_COMBINE, (H, tc), (128,), 0, opart, stats, olat, H, lora, n_split)
        project_out(olat, wkvb, out[t0 * H * v:], tc, H, nope, v, lora)
    return out


def mla_tc(q, wkvb, latent, rope_keys, idx, width, T, start, H, nope, rope, v, lora, scale, chunk_bytes=1 << 30):
    """MlaLauncher.AbsorbedTensorCores in Python: same temporaries, grids and arguments."""
    if FLASH:
        return mla_flash(q, wkvb, latent, rope_keys, idx, width, T, start, H, nope, rope, v, lora, scale, chunk_bytes)
    kw = cdiv(lora + rope, 16) * 16
    qk = nope + rope
    end = start + T
    out = torch.empty(T * H * v, device="cuda", dtype=torch.float32)
    gathered = idx is not None and width > 0 and T * width < end
    all_keys = None if gathered else whole_cache_keys(latent, rope_keys, end, lora, rope, kw)
    max_slots = cdiv(width if idx is not None else end, TILE) * TILE
    per_token = H * (kw * 2 + max_slots * 6 + lora * 4 + 64) + (width * kw * 2 if gathered else 0)
    chunk = token_chunk(T, per_token, chunk_bytes)
    qk_shared = 3 * TILE * (kw + 8) * 2
    direct_shared = 2 * TILE * (kw + 8) * 2 + 2 * TILE * kw * 4
    direct = gathered and direct_shared <= 222 * 1024 and DIRECT
    pv_shared = 3 * TILE * (lora // 2 + 8) * 2 + 3 * 64 * (TILE + 8) * 2
    for t0 in range(0, T, chunk):
        tc = min(chunk, T - t0)
        pos0 = start + t0
        slots_pad = cdiv(width if idx is not None else pos0 + tc, TILE) * TILE
        tiles = slots_pad // TILE
        qk_splits, qk_slots = splits(tiles, 2 * SMS, tc * cdiv(H, 128))
        pv_count, pv_slots = pv_splits(tiles, 2 * SMS, tc * 2 * cdiv(H, 64))
        ix = None if idx is None else idx[t0 * width:]
        qa = torch.empty(tc * H * kw, device="cuda", dtype=torch.int16)
        scores = torch.empty(max(tc * H * slots_pad, 1), device="cuda", dtype=torch.float32)
        opart = torch.empty(tc * pv_count * H * lora, device="cuda", dtype=torch.float32)
        kc = all_keys
        if gathered:
            kc = torch.empty(tc * width * kw, device="cuda", dtype=torch.int16)
            if not direct:
                launch(F_KEYS, (tc * width,), (64,), 0, latent, rope_keys, ix, kc, lora, rope, kw)
        absorb_q(q[t0 * H * qk:], wkvb, qa, tc, H, nope, rope, v, lora, kw)
        if direct:   # keys straight from the F32 cache; the bf16 rows for PV come out of the same pass
            launch(F_QK_DIRECT, (cdiv(H, 128), qk_splits, tc), (256,), direct_shared,
                   qa, latent, rope_keys, kc, lora, rope, ix, scores, width, H, kw, slots_pad, qk_slots, scale)
        else:
            launch(F_QK, (cdiv(H, 128), qk_splits, tc), (256,), qk_shared,
                   qa, kc, kc[lora:], kw, kw, lora, kw, ix, scores, width, pos0, int(gathered), H, kw, slots_pad,
                   qk_slots, scale)
        prob = torch.empty(max(tc * H * slots_pad, 1), device="cuda", dtype=torch.int16)
        launch(F_PROB, (H, tc), (256,), 0, scores, prob, None, H, slots_pad)   # no lse
        launch(F_PV, (2 * cdiv(H, 64), pv_count, tc), (256,), pv_shared,
               kc, ix, prob, opart, None, width, pos0, int(gathered), H, kw, lora, slots_pad, pv_slots)
        olat = opart
        if pv_count > 1:
            olat = torch.empty(tc * H * lora, device="cuda", dtype=torch.float32)
            launch(F_COMBINE, (cdiv(tc * H * lora, 256),), (256,), 0, opart, olat, None, I64(H * lora), pv_count,
                   I64(tc * H * lora))
        project_out(olat, wkvb, out[t0 * H * v:], tc, H, nope, v, lora)
    return out


def bf16(x):
    return x.to(torch.bfloat16).to(torch.float32)


def reference(q, wkvb, latent, rope_keys, idx, width, T, start, H, nope, rope, v, lora, scale, rows):
    w = wkvb.view(H, nope + v, lora).double()
    qv = q.view(T, H, nope + rope).double()
    lat = latent.view(-1, lora).double()
    kpe = rope_keys.view(-1, rope).double()
    out = {}
    for t in rows:
        qa = bf16(torch.einsum("hd,hdc->hc", qv[t, :, :nope], w[:, :nope]).float()).double()
        if idx is None:
            keys = torch.arange(start + t + 1, device="cuda")
        else:
            row = idx.view(T, width)[t]
            keys = row[row >= 0].long()
        s = ((qa @ lat[keys].T + qv[t, :, nope:] @ kpe[keys].T) * scale).float()
        p = bf16(torch.softmax(s, -1)).double()
        olat = bf16((p @ lat[keys]).float()).double()
        out[t] = bf16(torch.einsum("hc,hdc->hd", olat, w[:, nope:]).float())
    return out


def case(name, T, start, width, sparse, real, rows=None, check=True):
    torch.manual_seed(T * 7 + start)
    H, nope, rope, v, lora, scale = (128, 128, 64, 128, 512, 0.0723) if real else (4, 64, 32, 64, 128, 0.1)
    end = start + T
    q = bf16(torch.randn(T * H * (nope + rope), device="cuda"))
    wkvb = bf16(torch.randn(H * (nope + v) * lora, device="cuda") * 0.05)
    latent = bf16(torch.randn(end * lora, device="cuda"))
    rope_keys = bf16(torch.randn(end * rope, device="cuda"))
    idx = None
    if sparse:
        width = min(width, end)
        idx = torch.full((T, width), -1, dtype=torch.int32, device="cuda")
        for t in range(T):
            vis = start + t + 1
            pick = torch.randperm(vis, device="cuda")[:min(width, vis)].sort().values
            idx[t, :pick.numel()] = pick.int()
        idx = idx.flatten().contiguous()
    else:
        width = 0
    out = mla_tc(q, wkvb, latent, rope_keys, idx, width, T, start, H, nope, rope, v, lora, scale)
    torch.cuda.synchronize()
    if check:
        rows = rows if rows is not None else range(T)
        ref = reference(q, wkvb, latent, rope_keys, idx, width, T, start, H, nope, rope, v, lora, scale, rows)
        o = out.view(T, H, v)
        worst, scl = 0.0, 0.0
        for t, r in ref.items():
            worst = max(worst, (o[t] - r).abs().max().item())
            scl = max(scl, r.abs().max().item())
        nan = torch.isnan(out).any().item()
        err = worst / max(scl, 1e-30)
        passed = err <= 1 / 128 and not nan
        FAILED.extend([] if passed else [name])
        print(f"{'PASS' if passed else 'FAIL'} {name}: normalised error {err:.3g} (nan={nan})", flush=True)
    return q, wkvb, latent, rope_keys, idx, width


def bench(name, T, start, width, reps=10, profile=False):
    H, nope, rope, v, lora, scale = 128, 128, 64, 128, 512, 0.0723
    end = start + T
    q = torch.rand(T * H * (nope + rope), device="cuda") * 2 - 1
    wkvb = torch.rand(H * (nope + v) * lora, device="cuda") * 2 - 1
    latent = torch.rand(end * lora, device="cuda") * 2 - 1
    rope_keys = torch.rand(end * rope, device="cuda") * 2 - 1
    idx = torch.stack([torch.randperm(start + t + 1, device="cuda")[:width].sort().values for t in range(0, T)]).int().flatten() \
        if T <= 64 else (torch.randint(0, start + 1, (T, width), device="cuda").int().flatten())
    run = lambda: mla_tc(q, wkvb, latent, rope_keys, idx, width, T, start, H, nope, rope, v, lora, scale)
    run()
    torch.cuda.synchronize()
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    ts = []
    for _ in range(reps):
        a.record()
        run()
        b.record()
        b.synchronize()
        ts.append(a.elapsed_time(b))
    ts.sort()
    flops = 2 * T * H * width * (lora + rope + lora) / 1e9   # QK + PV only
    print(f"BENCH {name}: median {ts[len(ts) // 2]:.3f} ms (min {ts[0]:.3f}), QK+PV {flops / ts[len(ts) // 2]:.0f} TFLOP/s", flush=True)
    if profile:
        from torch.profiler import profile as prof_, ProfilerActivity
        with prof_(activities=[ProfilerActivity.CUDA]) as prof:
            run()
            torch.cuda.synchronize()
        parts = []
        for ev in prof.key_averages():
            if ev.key.startswith("mla_abs"):
                us = getattr(ev, "device_time_total", None) or getattr(ev, "cuda_time_total", 0)
                parts.append((us, f"{ev.key[8:]} {us / 1000:.3f} ms x{ev.count}"))
        print("  kernels: " + ", ".join(p for _, p in sorted(parts, reverse=True)), flush=True)


if __name__ == "__main__":
    case("tiny sparse 1@50 k16", 1, 50, 16, True, False)
    case("tiny dense 3@50", 3, 50, 0, False, False)
    case("tiny dense 20@50 (GEMM path, partial tiles)", 20, 50, 0, False, False)
    case("real sparse 4@3000 k2048", 4, 3000, 2048, True, True)
    case("real sparse decode 1@4095 k2048 (gathered)", 1, 4095, 2048, True, True)
    case("real dense 2@700", 2, 700, 0, False, True)
    FLASH_MIN_TILES = 1
    case("real dense 4@30 (empty splits)", 4, 30, 0, False, True)
    case("real sparse 3@40 k16 (empty splits)", 3, 40, 16, True, True)
    FLASH_MIN_TILES = 2
    case("real sparse 300@2000 k2048 (whole cache)", 300, 2000, 2048, True, True, rows=[0, 1, 150, 299])
    case("real sparse decode 32@70000 k2048 (gathered)", 32, 70000, 2048, True, True, rows=[0, 13, 31])
    case("real sparse decode 128@270000 k2048 (gathered)", 128, 270000, 2048, True, True, rows=[0, 77, 127])
    if FAILED:
        sys.exit(f"{len(FAILED)} case(s) failed")
    if "--bench" in sys.argv:
        prof = "--profile" in sys.argv
        bench("decode B=1 ctx 4096 k2048", 1, 4095, 2048, profile=prof)
        bench("decode B=1 ctx 131072 k2048", 1, 131071, 2048, profile=prof)
        bench("decode B=32 gathered k2048", 32, 131072, 2048, profile=prof)
        bench("decode B=128 gathered k2048", 128, 300000, 2048, profile=prof)
        DIRECT = False
        bench("decode B=1 ctx 131072 k2048 (gather pass)", 1, 131071, 2048, profile=prof)
        bench("decode B=32 gathered k2048 (gather pass)", 32, 131072, 2048, profile=prof)
        bench("decode B=128 gathered k2048 (gather pass)", 128, 300000, 2048, profile=prof)
        DIRECT = "--no-direct" not in sys.argv
        bench("prefill 4096 @ 8192 k2048", 4096, 4096, 2048, reps=3, profile=prof)
        bench("prefill 4096 @ 32768 k2048", 4096, 28672, 2048, reps=3, profile=prof)
    if "--compare" in sys.argv:   # the old chain and the flash kernel, same process
        kinds = ((True, True),) if "--wg-only" in sys.argv else ((False, False), (True, False), (True, True))
        for FLASH, WG in kinds:
            print(f"== {('flash wgmma' if WG else 'flash mma.sync') if FLASH else 'qk/prob/pv chain'}", flush=True)
            for FLASH_MIN_TILES in ((1, 2, 4) if WG and "--wg-only" not in sys.argv else (2,)):
                if FLASH:
                    print(f"-- min tiles per split {FLASH_MIN_TILES}", flush=True)
                bench("decode B=1 ctx 4096 k2048", 1, 4095, 2048, profile=True)
                bench("decode B=32 gathered k2048", 32, 131072, 2048, profile=True)
                bench("decode B=128 gathered k2048", 128, 300000, 2048, profile=True)
            bench("prefill 4096 @ 8192 k2048", 4096, 4096, 2048, reps=3, profile=True)
    for d in [a[len("--variant="):] for a in sys.argv if a.startswith("--variant=")]:
        print(f"variant: {d}", flush=True)
        use(d.replace(";", "\n") + "\n")
        if "DIAG" not in d:
            case("real sparse 4@3000 k2048", 4, 3000, 2048, True, True)
        bench("prefill 4096 @ 8192 k2048", 4096, 4096, 2048, reps=3, profile=True)
