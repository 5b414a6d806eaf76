#!/usr/bin/env python3
"""Kernel lab: the block-scaled FP8 GEMM on f16 warpgroup tensor cores (Kernels/fp8_gemm_wg.cu, sm_90a) beside the
mma.sync kernels it replaces at prefill sizes (Kernels/fp8_gemm.cu: fp8_gemm_tc, fp8_gemm_grouped_m64), validated
against a float64 model of the reference fp8_gemm (per 128-wide K block the exact products' sum, times a_scale *
w_scale, summed over K blocks) and timed at DeepSeek-V3.2 prefill shapes beside PyTorch's bf16 matmul and the H200 peak.

Usage: python3 benchmarks/kernel-lab/fp8_gemm_wg_lab.py [--quick | --small] [--variant "DEFINES" ...] [--profile]
  --small      time 16..256 rows over the model's linear shapes (where the launcher switches kernels)
  --variant D  also validate and time the kernels compiled with #define D (e.g. "WG_STAGES 3"; repeatable)
  --profile    only launch each dense kernel once at 4096 x 2048 x 7168 (for ncu)
Launch geometry mirrors Launchers/Fp8GemmLauncher.cs.
"""
import sys

import torch

from nvrtc_lab import compile_module, func, launch, regs, timed

PEAK_BF16 = 990e12
if torch.cuda.get_device_capability() != (9, 0):
    sys.exit("fp8_gemm_wg needs sm_90a (an H100/H200)")


def wg_shared(tm, stages=4):
    """WG_SHARED(TM): 1 KiB slack + stages of activations f16 [TM][256 B] + W [128][128] + a_scales [TM], 1 KiB aligned."""
    return 1024 + stages * ((tm * 256 + 128 * 128 + tm * 4 + 1023) // 1024 * 1024 + 16)


mod_tc, mod_wg = compile_module("fp8_gemm.cu"), compile_module("fp8_gemm_wg.cu")
F_TC = func(mod_tc, "fp8_gemm_tc")
F_GTC = func(mod_tc, "fp8_gemm_grouped_m64", 72 * 1024)
F_WG = func(mod_wg, "fp8_gemm_wg", wg_shared(128))
F_GWG = func(mod_wg, "fp8_gemm_grouped_wg", wg_shared(64))
F_GWG128 = func(mod_wg, "fp8_gemm_grouped_wg128", wg_shared(128))
F_WIDEN = func(mod_wg, "fp8_widen_codes")


class Variant:
    """The warpgroup kernels compiled with extra #defines."""

    def __init__(self, define):
        self.name = define
        self.stages = int(define.split()[1]) if define.startswith("WG_STAGES") else 4
        mod = compile_module("fp8_gemm_wg.cu", f"#define {define}\n")
        self.dense = func(mod, "fp8_gemm_wg", wg_shared(128, self.stages))
        self.grouped = {64: func(mod, "fp8_gemm_grouped_wg", wg_shared(64, self.stages)),
                        128: func(mod, "fp8_gemm_grouped_wg128", wg_shared(128, self.stages))}


VARIANTS = [Variant(sys.argv[i + 1]) for i, v in enumerate(sys.argv[:-1]) if v == "--variant"]
for n, f in [("tc", F_TC), ("grouped_m64", F_GTC), ("wg", F_WG), ("grouped_wg", F_GWG), ("grouped_wg128", F_GWG128),
             ("widen", F_WIDEN)] + [(v.name, v.dense) for v in VARIANTS]:
    r, local = regs(f)
    print(f"{n}: {r} registers, {local} bytes local")
FAILED = []


def codes(n, gen):
    c = torch.randint(0, 256, (n,), dtype=torch.uint8, generator=gen)
    c[(c & 0x7F) == 0x7F] = 0x3C   # no NaN codes
    return c.cuda()


def make(rows, out, inf, gen):
    kb = (inf + 127) // 128
    a = codes(rows * inf, gen).view(rows, inf)
    w = codes(out * inf, gen).view(out, inf)
    sa = (2.0 ** torch.randint(-12, -4, (rows, kb), generator=gen).float()).cuda()
    sw = (torch.rand((out + 127) // 128, kb, generator=gen) * 0.01 + 0.001).cuda()
    return a, sa, w, sw


def reference(a, sa, w, sw):
    rows, inf = a.shape
    out = w.shape[0]
    av = a.view(torch.float8_e4m3fn).double()
    wv = w.view(torch.float8_e4m3fn).double()
    y = torch.zeros(rows, out, dtype=torch.float64, device="cuda")
    for kb in range((inf + 127) // 128):
        k0, k1 = 128 * kb, min(inf, 128 * kb + 128)
        part = av[:, k0:k1] @ wv[:, k0:k1].T
        y += part * sa[:, kb:kb + 1].double() * sw[:, kb].double().repeat_interleave(128)[:out].view(1, out)
    return y


def widen(a, a16=None):
    """fp8_widen_codes: f16 codes [rows, k_blocks * 128] in the kernels' K order (the launcher's grid)."""
    rows, inf = a.shape
    kb = (inf + 127) // 128
    if a16 is None:
        a16 = torch.empty(rows, kb * 128, dtype=torch.int16, device="cuda")
    units = rows * kb * 8
    launch(F_WIDEN, (min((units + 255) // 256, 132 * 16),), (256,), 0, a, rows, inf, a16)
    return a16


def run_tc(a, sa, w, sw, y):
    rows, inf = a.shape
    out = w.shape[0]
    launch(F_TC, ((out + 127) // 128, (rows + 63) // 64), (256,), 0, a, sa, w, sw, y, rows, out, inf, y.stride(0))


def run_wg(a, sa, w, sw, y, a16=None, widened=False, f=None, shared=None):
    rows, inf = a.shape
    out = w.shape[0]
    if not widened:
        a16 = widen(a, a16)
    launch(f or F_WG, ((out + 127) // 128, (rows + 127) // 128), (256,), shared or wg_shared(128), a16, sa, w, sw, y, rows, out,
           inf, y.stride(0))


def normalised(ref, got):
    return ((ref - got.double()).abs().max() / ref.abs().max().clamp_min(1e-30)).item()


def validate(gen):
    for rows, out, inf in [(1, 128, 128), (9, 200, 272), (130, 384, 7168), (300, 576, 1536), (257, 2048, 2000), (64, 130, 16)]:
        a, sa, w, sw = make(rows, out, inf, gen)
        ref = reference(a, sa, w, sw)
        y_tc = torch.full((rows, out + 3), 7.0, device="cuda")[:, :out]
        y_wg = torch.full((rows, out + 3), 7.0, device="cuda")[:, :out]
        run_tc(a, sa, w, sw, y_tc)
        run_wg(a, sa, w, sw, y_wg)
        e_tc, e_wg = normalised(ref, y_tc), normalised(ref, y_wg)
        e_v = []
        for v in VARIANTS:
            y_v = torch.full((rows, out + 3), 7.0, device="cuda")[:, :out]
            run_wg(a, sa, w, sw, y_v, f=v.dense, shared=wg_shared(128, v.stages))
            e_v.append(normalised(ref, y_v))
        good = max([e_wg] + e_v) <= 1e-4
        print(f"{'PASS' if good else 'FAIL'} dense {rows}x{out}x{inf}: wg err {e_wg:.2e} (tc {e_tc:.2e})"
              + "".join(f", {v.name} {e:.2e}" for v, e in zip(VARIANTS, e_v)))
        if not good:
            FAILED.append(f"dense {rows}x{out}x{inf}")
    # grouped: 3 experts, two matrices side by side (gate | up), tiles of 64 rows over gathered tokens
    tokens, inf, n_gate = 150, 1024, 256
    a, sa, _, _ = make(tokens, 128, inf, gen)
    experts, mats = [], []
    for e in range(3):
        _, _, wg, swg = make(1, n_gate, inf, gen)
        _, _, wu, swu = make(1, n_gate, inf, gen)
        mats.append((wg, swg, wu, swu))
        experts += [wg.data_ptr(), swg.data_ptr(), wu.data_ptr(), swu.data_ptr(), 0, 0]
    table = torch.tensor(experts, dtype=torch.int64, device="cuda")
    rows_of = [torch.randperm(tokens, generator=gen)[:n].int() for n in (70, 5, 130)]
    a_rows = torch.cat(rows_of).cuda()
    a16 = widen(a)
    ys = {}
    kernels = [("tc", F_GTC, 72 * 1024, a, 64), ("wg", F_GWG, wg_shared(64), a16, 64), ("wg128", F_GWG128, wg_shared(128), a16, 128)]
    kernels += [(f"{v.name} {tr}", v.grouped[tr], wg_shared(tr, v.stages), a16, tr) for v in VARIANTS for tr in (64, 128)]
    for name, f, shared, src, tile_rows in kernels:
        tiles, start = [], 0
        for e, r in enumerate(rows_of):
            for t0 in range(0, len(r), tile_rows):
                tiles.append([e, start + t0, start + len(r), 0])
            start += len(r)
        tiles_t = torch.tensor(tiles, dtype=torch.int32, device="cuda")
        count = torch.tensor([len(tiles)], dtype=torch.int32, device="cuda")
        y = torch.zeros(start, 2 * n_gate, dtype=torch.int16, device="cuda")
        launch(f, (2 * n_gate // 128, len(tiles) + 2), (256,), shared, src, sa, a_rows, tiles_t, count, table, 0, 1, n_gate,
               2 * n_gate, inf, y)
        ys[name] = y.view(torch.bfloat16).double()
    worst = {k[0]: 0.0 for k in kernels}
    start = 0
    for e, r in enumerate(rows_of):
        wg, swg, wu, swu = mats[e]
        sel = r.long().cuda()
        ref = torch.cat([reference(a[sel], sa[sel], wg, swg), reference(a[sel], sa[sel], wu, swu)], 1)
        for k in worst:
            worst[k] = max(worst[k], normalised(ref, ys[k][start:start + len(r)]))
        start += len(r)
    good = max(worst.values()) <= 2 ** -8   # bf16 output: within one rounding (2^-8 relative) of the largest value
    print(f"{'PASS' if good else 'FAIL'} grouped 3 experts: " + ", ".join(f"{k} err {e:.2e}" for k, e in worst.items()))
    if not good:
        FAILED.append("grouped")


def bench(gen, quick):
    x = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    t = timed(lambda: x @ x, 10)
    print(f"\nPyTorch bf16 matmul 8192^3: {2 * 8192 ** 3 / t / 1e12:.0f} TFLOP/s (H200 dense bf16 peak ~{PEAK_BF16 / 1e12:.0f})")
    del x
    print(f"{'rows x out x in':>22} {'tc ms':>8} {'TFLOP/s':>8} {'wg ms':>8} {'TFLOP/s':>8} {'%990':>5} {'wg/tc':>6}"
          f" {'kernel':>8} {'widen':>7}" + "".join(f" {v.name:>14}" for v in VARIANTS))
    shapes = [(4096, 2048, 7168), (4096, 7168, 2048), (4096, 24576, 1536), (4096, 7168, 16384), (4096, 1536, 7168),
              (4096, 4096, 7168), (512, 2048, 7168), (128, 2048, 7168), (32, 2048, 7168)]
    if quick:
        shapes = shapes[:2] + shapes[-3:]
    if "--small" in sys.argv:   # decode- and short-prefill-sized row counts over the model's linear shapes
        shapes = [(r, o, i) for o, i in ((2048, 7168), (7168, 2048), (24576, 1536), (1536, 7168), (7168, 16384), (576, 7168))
                  for r in (16, 64, 128, 256)]
    for rows, out, inf in shapes:
        a, sa, w, sw = make(rows, out, inf, gen)
        y = torch.empty(rows, out, device="cuda")
        a16 = widen(a)
        flops = 2.0 * rows * out * inf
        t_tc = timed(lambda: run_tc(a, sa, w, sw, y), 10)
        t_wg = timed(lambda: run_wg(a, sa, w, sw, y, a16), 10)
        t_k = timed(lambda: run_wg(a, sa, w, sw, y, a16, widened=True), 10)
        extra = "".join(f" {timed(lambda: run_wg(a, sa, w, sw, y, a16, True, v.dense, wg_shared(128, v.stages)), 10) * 1e3:14.3f}"
                        for v in VARIANTS)
        print(f"{f'{rows}x{out}x{inf}':>22} {t_tc * 1e3:8.3f} {flops / t_tc / 1e12:8.0f} {t_wg * 1e3:8.3f} "
              f"{flops / t_wg / 1e12:8.0f} {100 * flops / t_wg / PEAK_BF16:4.0f}% {t_tc / t_wg:6.2f} {t_k * 1e3:8.3f}"
              f" {(t_wg - t_k) * 1e3:7.3f}{extra}", flush=True)


def bench_grouped(gen, experts=256, per_token=8, hidden=7168, inner=2048):
    """The MoE prefill chunk: gate|up (hidden -> 2 x inner) then down (inner -> hidden) over per-expert row tiles, at
    4096 and 2048 tokens (128 / 64 rows per expert on average), 64- and 128-row tiles."""
    mats, table = [], []   # random codes made on the GPU (11 GB of weights); no NaN codes below 0x7E
    for e in range(experts):
        m = [(torch.randint(0, 0x7E, (o, i), dtype=torch.uint8, device="cuda"),
              torch.rand((o + 127) // 128, (i + 127) // 128, device="cuda") * 0.01) for o, i in ((inner, hidden), (inner, hidden), (hidden, inner))]
        mats.append(m)
        for w, sw in m:
            table += [w.data_ptr(), sw.data_ptr()]
    table = torch.tensor(table, dtype=torch.int64, device="cuda")
    for tokens in (4096, 2048):
        a, sa, _, _ = make(tokens, 128, hidden, gen)
        h, sh, _, _ = make(tokens * per_token, 128, inner, gen)
        picks = torch.stack([torch.randperm(experts, generator=gen)[:per_token] for _ in range(tokens)])   # [tokens, per_token]
        order = torch.argsort(picks.flatten(), stable=True)
        a_rows = (order // per_token).int().cuda()
        counts = torch.bincount(picks.flatten(), minlength=experts).tolist()
        pairs = tokens * per_token
        gate_up = torch.empty(pairs, 2 * inner, dtype=torch.int16, device="cuda")
        down = torch.empty(pairs, hidden, dtype=torch.int16, device="cuda")
        a16, h16 = widen(a), widen(h)
        flops = 2.0 * pairs * 3 * hidden * inner
        kernels = [("grouped_m64 (tc)", F_GTC, 72 * 1024, 64), ("grouped_wg 64 (with both widenings)", F_GWG, wg_shared(64), 64),
                   ("grouped_wg 128 (with both widenings)", F_GWG128, wg_shared(128), 128)]
        kernels += [(f"{v.name} {tr}", v.grouped[tr], wg_shared(tr, v.stages), tr) for v in VARIANTS for tr in (64, 128)]
        for name, f, shared, tile_rows in kernels:
            tiles, start = [], 0
            for e, n in enumerate(counts):
                for t0 in range(0, n, tile_rows):
                    tiles.append([e, start + t0, start + n, 0])
                start += n
            tiles_t = torch.tensor(tiles, dtype=torch.int32, device="cuda")
            count = torch.tensor([len(tiles)], dtype=torch.int32, device="cuda")
            wg = f is not F_GTC

            def run():
                if wg:
                    widen(a, a16)
                    widen(h, h16)
                launch(f, (2 * inner // 128, len(tiles)), (256,), shared, a16 if wg else a, sa, a_rows, tiles_t, count, table, 0, 1,
                       inner, 2 * inner, hidden, gate_up)
                launch(f, (hidden // 128, len(tiles)), (256,), shared, h16 if wg else h, sh, None, tiles_t, count, table, 2, 2,
                       hidden, hidden, inner, down)
            t = timed(run, 5)
            print(f"MoE {tokens} tokens x {per_token} of {experts} experts, {name}: {t * 1e3:.2f} ms, {flops / t / 1e12:.0f} TFLOP/s",
                  flush=True)


gen = torch.Generator().manual_seed(7)
if "--profile" in sys.argv:   # one launch of each dense kernel at the MoE expert shape, for ncu
    a, sa, w, sw = make(4096, 2048, 7168, gen)
    y = torch.empty(4096, 2048, device="cuda")
    run_tc(a, sa, w, sw, y)
    run_wg(a, sa, w, sw, y)
    torch.cuda.synchronize()
    sys.exit(0)
validate(gen)
bench(gen, "--quick" in sys.argv)
if "--small" not in sys.argv:
    bench_grouped(gen)
print("FAILED: " + ", ".join(FAILED) if FAILED else "ALL PASS")
