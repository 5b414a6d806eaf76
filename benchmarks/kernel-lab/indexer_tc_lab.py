#!/usr/bin/env python3
"""Kernel lab: the lightning indexer on FP8 tensor cores (Kernels/indexer_tc.cu) and top-k (Kernels/topk.cu) over a
paged key cache, validated against a float64 torch reference and the fp32 CUDA-core kernel (Kernels/indexer.cu),
then timed at decode B x L and prefill shapes, printed beside the H200 peaks and the copy bandwidth measured here.

Usage: python3 benchmarks/kernel-lab/indexer_tc_lab.py [--quick]
Launch geometry mirrors Launchers/IndexerLauncher.cs and TopKLauncher.cs.
"""
import sys

import torch

from indexer_geometry import HOPPER, SMS, TC_SHARED, tc_chunk, wh_chunk, wh_shared
from nvrtc_lab import compile_module, func, launch, regs, timed

HEADS, DIM = 64, 128
PEAK_HBM, PEAK_FP8 = 4.8e12, 1979e12

mod_tc, mod_fp32, mod_topk = compile_module("indexer_tc.cu"), compile_module("indexer.cu"), compile_module("topk.cu")
F_TC1 = func(mod_tc, "indexer_scores_tc1", TC_SHARED + 256)
F_TC8 = func(mod_tc, "indexer_scores_tc8", TC_SHARED + 8 * 256)
F_FP32 = func(mod_fp32, "indexer_scores", (HEADS + 64) * (DIM + 4) * 4)
F_TOPK = func(mod_topk, "topk_rows")

# the f16 warpgroup kernels (sm_90a only)
F_WH = {g: func(mod_tc, f"indexer_scores_wh{g}", wh_shared(g)) for g in (1, 8)} if HOPPER else {}
for n, f in [("tc1", F_TC1), ("tc8", F_TC8), ("fp32", F_FP32), ("topk", F_TOPK)] + [(f"wh{g}", f) for g, f in F_WH.items()]:
    r, local = regs(f)
    print(f"{n}: {r} registers, {local} bytes local")
FAILED = []


class Paged:
    """Rows (seq, pos) over a pool of shuffled blocks; table [sequences, width]."""

    def __init__(self, seqs, bs=64, gen=None):
        # seqs: list of (start, tokens)
        self.bs = bs
        ends = [s + t for s, t in seqs]
        blocks = [(e + bs - 1) // bs for e in ends]
        self.width = max(blocks)
        total = sum(blocks) + 3
        order = torch.randperm(total, generator=gen)
        table = torch.zeros(len(seqs), self.width, dtype=torch.int32)
        n = 0
        for s, b in enumerate(blocks):
            table[s, :b] = order[n:n + b].int()
            n += b
        self.pool_rows = total * bs
        self.table = table.cuda()
        rs, rp = [], []
        for s, (start, tokens) in enumerate(seqs):
            rs += [s] * tokens
            rp += list(range(start, start + tokens))
        self.rows = len(rs)
        self.row_seq = torch.tensor(rs, dtype=torch.int32, device="cuda")
        self.row_pos = torch.tensor(rp, dtype=torch.int32, device="cuda")
        self.max_end = max(rp) + 1
        self.one_seq_groups = all(len(set(rs[g:g + 8])) == 1 for g in range(0, len(rs), 8))

    def pool_index(self, seq, end):
        p = torch.arange(end, device="cuda")
        return self.table[seq, p // self.bs].long() * self.bs + p % self.bs


def run_tc(q8, w, keys, scales, pg, scores=None, group=None):
    if scores is None:
        scores = torch.full((pg.rows, pg.max_end), 7.0, device="cuda")
    if group is None:
        group = 8 if pg.one_seq_groups and pg.rows >= 16 else 1
    groups = (pg.rows + group - 1) // group
    chunk = tc_chunk(pg.max_end, groups)
    launch(F_TC8 if group == 8 else F_TC1, ((pg.max_end + chunk - 1) // chunk, groups), (256,), TC_SHARED + group * 256,
           q8, w, keys, scales, pg.row_seq, pg.row_pos, pg.table, pg.width, pg.bs, 0, scores, pg.rows, pg.max_end, chunk)
    return scores


def run_wh(q8, w, keys, scales, pg, scores=None, group=None, chunk_fn=None):
    if scores is None:
        scores = torch.full((pg.rows, pg.max_end), 7.0, device="cuda")
    if group is None:
        group = 8 if pg.one_seq_groups and pg.rows >= 16 else 1
    groups = (pg.rows + group - 1) // group
    chunk = chunk_fn(pg.max_end, groups, group) if chunk_fn else tc_chunk(pg.max_end, groups)
    launch(F_WH[group], ((pg.max_end + chunk - 1) // chunk, groups), (256,), wh_shared(group),
           q8, w, keys, scales, pg.row_seq, pg.row_pos, pg.table, pg.width, pg.bs, 0, scores, pg.rows, pg.max_end, chunk)
    return scores


def run_fp32(q8, w, keys, scales, pg):
    scores = torch.full((pg.rows, pg.max_end), 7.0, device="cuda")
    launch(F_FP32, ((pg.max_end + 255) // 256, pg.rows), (256,), (HEADS + 64) * (DIM + 4) * 4,
           q8, w, keys, scales, pg.row_seq, pg.row_pos, pg.table, pg.width, pg.bs, 0, scores, HEADS, DIM, pg.max_end)
    return scores


def run_topk(scores, pg, k, out=None):
    if out is None:
        out = torch.full((pg.rows, k), 12345, dtype=torch.int32, device="cuda")
    launch(F_TOPK, (pg.rows,), (1024,), 0, scores, out, pg.row_pos, 0, pg.max_end, k)
    return out


def e4m3(codes):
    return codes.view(torch.float8_e4m3fn).to(torch.float64)


def reference(q8, w, keys, scales, pg):
    out = torch.full((pg.rows, pg.max_end), float("-inf"), dtype=torch.float64, device="cuda")
    q = e4m3(q8).view(pg.rows, HEADS, DIM)
    kall = e4m3(keys).view(-1, DIM)
    for i in range(pg.rows):
        seq, pos = int(pg.row_seq[i]), int(pg.row_pos[i])
        idx = pg.pool_index(seq, pos + 1)
        dots = q[i] @ kall[idx].T                                   # [heads, keys]
        out[i, :pos + 1] = (torch.clamp_min(dots, 0) * w.view(pg.rows, HEADS)[i].double().view(HEADS, 1)).sum(0) * scales[idx].double()
    return out


def make(pg, gen):
    q8 = torch.randint(0, 256, (pg.rows * HEADS * DIM,), dtype=torch.uint8, generator=gen).cuda()
    q8[(q8 & 0x7F) == 0x7F] = 0x11                                  # no NaN codes (tested separately by the op tests)
    keys = torch.randint(0, 256, (pg.pool_rows * DIM,), dtype=torch.uint8, generator=gen).cuda()
    keys[(keys & 0x7F) == 0x7F] = 0x22
    w = (torch.rand(pg.rows * HEADS, generator=gen) * 0.02 - 0.01).cuda()
    scales = (torch.rand(pg.pool_rows, generator=gen) * 0.009 + 0.001).cuda()
    return q8, w, keys, scales


def normalised(ref, got):
    fin = torch.isfinite(ref)
    if not torch.equal(fin, torch.isfinite(got)) or not torch.equal(ref[~fin], got[~fin].double()):
        return float("inf")
    return ((ref[fin] - got[fin].double()).abs().max() / ref[fin].abs().max().clamp_min(1e-30)).item()


def validate():
    gen = torch.Generator().manual_seed(5)
    cases = [("chunk 300@5000 bs64", [(5000, 300)], 64), ("chunk 100@3000 bs48", [(3000, 100)], 48),
             ("decode 3 rows to 130K", [(130000, 1), (4100, 1), (70001, 1)], 64),
             ("mixed", [(1000, 40), (2500, 1), (7, 1), (600, 20)], 16), ("tiny", [(0, 3), (5, 1)], 16)]
    for name, seqs, bs in cases:
        pg = Paged(seqs, bs, gen)
        q8, w, keys, scales = make(pg, gen)
        ref = reference(q8, w, keys, scales, pg)
        tc = run_tc(q8, w, keys, scales, pg)
        f32 = run_fp32(q8, w, keys, scales, pg)
        e_tc, e_f32 = normalised(ref, tc), normalised(ref, f32)
        good = e_tc <= 1e-4 and e_f32 <= 1e-4
        print(f"{'PASS' if good else 'FAIL'} indexer {name}: tc err {e_tc:.2e}, fp32 err {e_f32:.2e}"
              f" (group {8 if pg.one_seq_groups and pg.rows >= 16 else 1})")
        if not good:
            FAILED.append(name)
        if pg.one_seq_groups and pg.rows >= 16:
            e1 = normalised(ref, run_tc(q8, w, keys, scales, pg, group=1))
            print(f"{'PASS' if e1 <= 1e-4 else 'FAIL'} indexer {name} forced group 1: err {e1:.2e}")
        for group in ([1, 8] if pg.one_seq_groups else [1]) if HOPPER else []:
            for label, fn in (("", None), (", wave chunks", wh_chunk)):
                e = normalised(ref, run_wh(q8, w, keys, scales, pg, group=group, chunk_fn=fn))
                print(f"{'PASS' if e <= 1e-4 else 'FAIL'} indexer {name} wh{group}{label}: err {e:.2e}")
                if e > 1e-4:
                    FAILED.append(f"wh{group}{label} {name}")
        for k in (64, 2048):
            got = run_topk(tc, pg, k).cpu()
            want = torch.full((pg.rows, k), -1, dtype=torch.int32)
            for i in range(pg.rows):
                vis = int(pg.row_pos[i]) + 1
                row = tc[i, :vis].double().cpu()
                order = torch.sort(row, descending=True, stable=True).indices[:min(k, vis)]
                want[i, :len(order)] = torch.sort(order).values.int()
            same = torch.equal(got, want)
            print(f"{'PASS' if same else 'FAIL'} topk {name} k={k}")
            if not same:
                FAILED.append(f"topk {name} {k}")


def copy_bandwidth():
    x = torch.empty(1 << 31, dtype=torch.uint8, device="cuda")
    y = torch.empty_like(x)
    t = timed(lambda: y.copy_(x), 10)
    del x, y
    return 2 * (1 << 31) / t


def bench(copy_bw, quick):
    gen = torch.Generator().manual_seed(6)
    print(f"\nmeasured copy bandwidth (read+write) {copy_bw / 1e12:.2f} TB/s; H200 peaks: HBM {PEAK_HBM / 1e12:.1f} TB/s,"
          f" fp8 dense {PEAK_FP8 / 1e12:.0f} TFLOP/s")
    print(f"{'shape':>22} {'indexer ms':>10} {'key GB/s':>9} {'%copy':>6} {'TFLOP/s':>8} {'%fp8':>5} {'topk ms':>8} {'topk/idx':>8}"
          f" {'wh ms':>8} {'wh GB/s':>8} {'%copy':>6} {'TFLOP/s':>8} {'wh/wave':>8} {'%copy':>6}")
    shapes = [("decode", b, l) for b in (1, 32, 128) for l in (4096, 32768, 131072)] + \
             [("prefill", 4096, l) for l in (8192, 32768, 131072)]
    if quick:
        shapes = [s for s in shapes if s[2] != 32768]
    for kind, b, l in shapes:
        if kind == "decode":
            seqs = [(l - 1, 1)] * b
        else:
            seqs = [(l - b, b)]
        pg = Paged(seqs, 64, gen)
        q8 = torch.randint(0, 0x7E, (pg.rows * HEADS * DIM,), dtype=torch.uint8, device="cuda")
        keys = torch.randint(0, 0x7E, (pg.pool_rows * DIM,), dtype=torch.uint8, device="cuda")
        w = torch.rand(pg.rows * HEADS, device="cuda") * 0.02 - 0.01
        scales = torch.rand(pg.pool_rows, device="cuda") * 0.01
        scores = torch.empty((pg.rows, pg.max_end), device="cuda")
        out = torch.empty((pg.rows, 2048), dtype=torch.int32, device="cuda")
        reps = 3 if pg.rows * pg.max_end > 1 << 28 else 20
        t_idx = timed(lambda: run_tc(q8, w, keys, scales, pg, scores), reps)
        t_topk = timed(lambda: run_topk(scores, pg, 2048, out), reps)
        t_wh = timed(lambda: run_wh(q8, w, keys, scales, pg, scores), reps) if HOPPER else float("nan")
        t_wh2 = timed(lambda: run_wh(q8, w, keys, scales, pg, scores, chunk_fn=wh_chunk), reps) if HOPPER else float("nan")
        pairs = int((pg.row_pos.long() + 1).sum())
        # bytes of keys and scales read once per sequence (decode) or once per call (prefill: one sequence)
        key_bytes = (b * l if kind == "decode" else l) * (DIM + 4)
        flops = 2.0 * HEADS * DIM * pairs
        print(f"{kind + f' {b}x{l // 1024}K':>22} {t_idx * 1e3:10.3f} {key_bytes / t_idx / 1e9:9.0f} "
              f"{100 * key_bytes / t_idx / copy_bw:5.0f}% {flops / t_idx / 1e12:8.0f} {100 * flops / t_idx / PEAK_FP8:4.0f}% "
              f"{t_topk * 1e3:8.3f} {100 * t_topk / t_idx:7.0f}% {t_wh * 1e3:8.3f} {key_bytes / t_wh / 1e9:8.0f}"
              f" {100 * key_bytes / t_wh / copy_bw:5.0f}% {flops / t_wh / 1e12:8.0f} {t_wh2 * 1e3:8.3f}"
              f" {100 * key_bytes / t_wh2 / copy_bw:5.0f}%", flush=True)
        del q8, keys, w, scales, scores, out
        torch.cuda.empty_cache()
    # the fp32 kernel at one prefill shape, for the record
    pg = Paged([(8192 - 4096, 4096)], 64, gen)
    q8 = torch.randint(0, 0x7E, (pg.rows * HEADS * DIM,), dtype=torch.uint8, device="cuda")
    keys = torch.randint(0, 0x7E, (pg.pool_rows * DIM,), dtype=torch.uint8, device="cuda")
    w = torch.rand(pg.rows * HEADS, device="cuda")
    scales = torch.rand(pg.pool_rows, device="cuda")
    t = timed(lambda: run_fp32(q8, w, keys, scales, pg), 3)
    pairs = int((pg.row_pos.long() + 1).sum())
    print(f"fp32 CUDA-core kernel, prefill 4096x8K: {t * 1e3:.2f} ms, {2.0 * HEADS * DIM * pairs / t / 1e12:.0f} TFLOP/s")


validate()
bench(copy_bandwidth(), "--quick" in sys.argv)
print("FAILED: " + ", ".join(FAILED) if FAILED else "ALL PASS")
