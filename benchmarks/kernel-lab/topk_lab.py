#!/usr/bin/env python3
"""Kernel lab: exact per-row top-k (Kernels/topk.cu) - the one-block-per-row kernel topk_rows and the register-resident
cluster family topk_c<C>_i<ITEMS> - validated bit for bit against a stable torch sort (ties, -inf tails, rows shorter
than k, -0/+0, contiguous and paged rows, every variant at and around its capacity), then timed as CUDA-graph replays
(no Python launch overhead) beside the indexer the engine runs (Kernels/indexer_tc.cu: the f16 warpgroup kernels on
sm_90a, mma.sync elsewhere) at the decode and prefill shapes of indexer_tc_lab.py, on the scores that indexer produces.

Usage: python3 benchmarks/kernel-lab/topk_lab.py [--no-bench] [--define NAME=VALUE ...] [--baseline FILE.cu]
                                                [--profile KIND:B:L[:VARIANT],...] [--ties]
--define compiles topk.cu with a lab switch (TOPK_FIRST_BITS, TOPK_ROWS_BLOCKS, TOPK_LOADS); --baseline times an
earlier topk.cu (a path) beside it as "base:" (validated too); --profile only launches the named variant or the
launcher's choice (and the baseline's) once per shape on the indexer's scores (for ncu); --ties times all-equal scores.
Launch geometry mirrors Launchers/TopKLauncher.cs (Pick below is its variant choice) and IndexerLauncher.cs.
"""
import argparse
import sys

import torch

from indexer_geometry import HOPPER, SMS, TC_SHARED, tc_chunk, wh_chunk, wh_shared
from nvrtc_lab import compile_module, func, launch, regs

HEADS, DIM = 64, 128
SHAPES = [(1, 4), (1, 8), (2, 8), (4, 8), (8, 8), (8, 16), (8, 24)]

ARGS = argparse.ArgumentParser()
ARGS.add_argument("--no-bench", action="store_true")
ARGS.add_argument("--define", action="append", default=[])
ARGS.add_argument("--baseline", default="")
ARGS.add_argument("--profile", default="")
ARGS.add_argument("--ties", action="store_true", help="time on all-equal scores (an empty cache's) instead of the indexer's")
ARGS = ARGS.parse_args()


ROWS_SHARED = 65536   # TopKLauncher: topk_rows' dynamic shared memory (room for 8192 candidates)


def kernels(label, mod):
    """[(label, C, ITEMS, function)]: C = 0 is topk_rows, ITEMS 0 with ROWS_SHARED, 1 with none (its fallback)."""
    rows = func(mod, "topk_rows")
    ks = [(label, 0, 0, rows), (label, 0, 1, rows)] + [(label, c, i, func(mod, f"topk_c{c}_i{i}")) for c, i in SHAPES]
    for v in ks:
        print(f"{name(v)}: {regs(v[3])} (registers, local bytes)" + (f" capacity {v[1] * 1024 * v[2]}" if v[1] else ""))
    return ks


def name(v):
    return f"{v[0]}rows" + ("_noshared" if v[2] else "") if v[1] == 0 else f"{v[0]}c{v[1]}_i{v[2]}"


defines = "".join(f"#define {d.replace('=', ' ', 1)}\n" for d in ARGS.define)
mod_topk, mod_tc = compile_module("topk.cu", defines), compile_module("indexer_tc.cu")
KERNELS = kernels("", mod_topk) + (kernels("base:", compile_module(ARGS.baseline)) if ARGS.baseline else [])
# the indexer the engine runs: the f16 warpgroup kernels on sm_90a, the mma.sync ones elsewhere
F_IDX = {g: func(mod_tc, f"indexer_scores_wh{g}", wh_shared(g)) if HOPPER else
         func(mod_tc, f"indexer_scores_tc{g}", TC_SHARED + g * 256) for g in (1, 8)}
print(f"indexer: {'indexer_scores_wh1 / wh8' if HOPPER else 'indexer_scores_tc1 / tc8'}")
FAILED = []


def pick(rows, stride):
    """TopKLauncher.Pick as (C, ITEMS), C = 0 for topk_rows: the smallest variant covering the stride; C > 1 only while
    the rows fill at most half the SMs with topk_rows blocks."""
    if rows > 65535:
        return (0, 0)
    for c, i in SHAPES:
        if c * 1024 * i >= stride:
            return (c, i) if c == 1 or 2 * rows <= SMS else (0, 0)
    return (0, 0)


def covers(v, stride):
    return v[1] == 0 or v[1] * 1024 * v[2] >= stride


def run_topk(v, scores, row_pos, start, stride, rows, k, out=None):
    """v: a KERNELS entry. row_pos None: contiguous rows visible start+i+1."""
    if out is None:
        out = torch.full((rows, k), 12345, dtype=torch.int32, device="cuda")
    if v[1] == 0:
        launch(v[3], (rows,), (1024,), 0 if v[2] else ROWS_SHARED, scores, out, row_pos, start, stride, k)
    else:
        launch(v[3], (v[1], rows), (1024,), 0, scores, out, row_pos, start, stride, k)
    return out


def reference(scores, visible, k):
    """Stable descending sort of the visible prefix of each row (float64 keeps -0 == +0), first min(k, visible), ascending."""
    rows, stride = scores.shape
    pos = torch.arange(stride, device="cuda")
    s = scores.double().masked_fill(pos[None, :] >= visible[:, None], float("-inf"))
    order = torch.sort(s, dim=1, descending=True, stable=True).indices
    if order.shape[1] < k:
        order = torch.cat([order, torch.zeros(rows, k - order.shape[1], dtype=order.dtype, device="cuda")], 1)
    order = order[:, :k]
    take = torch.arange(k, device="cuda")[None, :] < visible[:, None]
    order = torch.where(take, order, torch.full_like(order, 1 << 40))
    order = torch.sort(order, dim=1).values
    return torch.where(order == (1 << 40), torch.full_like(order, -1), order).int()


def fill(kind, rows, stride, gen):
    n = rows * stride
    if kind == "randn":
        x = torch.randn(n, generator=gen)
    elif kind == "ties":
        x = torch.randint(0, 8, (n,), generator=gen).float()
    elif kind == "fine ties":
        x = torch.round(torch.randn(n, generator=gen) * 64) / 64
    elif kind == "signed zeros":
        x = torch.tensor([0.0, -0.0, 0.0, -0.0, 1.0, -1.0])[torch.randint(0, 6, (n,), generator=gen)]
    elif kind == "indexer-like":
        x = torch.randn(n, generator=gen).abs() * 1e-3 + 2e-3
    elif kind == "constant":
        x = torch.full((n,), 0.25)
    else:
        raise ValueError(kind)
    x = x.view(rows, stride)
    if kind in ("randn", "fine ties"):
        # -inf tails: some rows end in -inf, one row is all -inf
        for i in range(0, rows, 2):
            cut = int(torch.randint(0, stride + 1, (1,), generator=gen))
            x[i, cut:] = float("-inf")
        x[rows // 2, :] = float("-inf")
    return x.cuda()


def check(label, scores, row_pos, start, stride, rows, k):
    if row_pos is None:
        visible = torch.arange(rows, device="cuda") + start + 1
    else:
        visible = row_pos.long() + 1
    want = reference(scores, visible, k)
    cands = [v for v in KERNELS if covers(v, stride)]
    bad = []
    for v in cands:
        got = run_topk(v, scores, row_pos, start, stride, rows, k)
        if not torch.equal(got, want):
            bad.append(name(v))
    print(f"{'PASS' if not bad else 'FAIL'} {label} k={k} ({len(cands)} kernels){' bad: ' + ','.join(bad) if bad else ''}",
          flush=True)
    if bad:
        FAILED.append(f"{label} k={k}: {','.join(bad)}")


def validate():
    gen = torch.Generator().manual_seed(11)
    kinds = ["randn", "ties", "fine ties", "signed zeros", "indexer-like", "constant"]
    # contiguous: (tokens, startPos); stride = startPos + tokens, around each capacity
    contiguous = [(5, 0), (40, 2000), (3, 4093), (2, 4095), (3, 8190), (2, 8191), (3, 16381), (2, 16383), (3, 32766),
                  (2, 32767), (2, 65535), (2, 65534), (2, 131071), (2, 131070), (2, 196607), (2, 196606), (2, 200000),
                  (3, 5000), (2, 20000), (2, 100000), (2, 150000)]
    for i, (tokens, start) in enumerate(contiguous):
        stride = start + tokens
        kind = kinds[i % len(kinds)]
        scores = fill(kind, tokens, stride, gen)
        for k in ((1, 64, 2048) if stride <= 40000 else (2048,)) + ((3000,) if i % 4 == 0 else ()):
            check(f"contiguous {tokens}@{start} {kind}", scores, None, start, stride, tokens, k)
    # paged: rows at random positions below max_end
    for i, (rows, max_end) in enumerate([(17, 4096), (9, 8192), (6, 30000), (5, 70000), (4, 131072), (3, 190000), (33, 3000)]):
        for kind in (kinds[i % len(kinds)], "indexer-like"):
            scores = fill(kind, rows, max_end, gen)
            pos = torch.randint(0, max_end, (rows,), generator=gen)
            pos[0] = max_end - 1
            pos[-1] = min(100, max_end - 1)
            row_pos = pos.int().cuda()
            for k in (64, 2048):
                check(f"paged {rows}x{max_end} {kind}", scores, row_pos, 0, max_end, rows, k)


def graph_time(fn, n=20, reps=5):
    fn()
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g, capture_error_mode="relaxed"):
        for _ in range(n):
            fn()
    g.replay()
    torch.cuda.synchronize()
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record()
    for _ in range(reps):
        g.replay()
    b.record()
    torch.cuda.synchronize()
    return a.elapsed_time(b) / (n * reps) * 1e-3


def indexer_setup(kind, b, l):
    """Paged key cache (64-token blocks, shuffled) for decode b x l (b sequences, one row each at position l-1) or
    prefill b rows of one sequence ending at l; returns the indexer launch and its scores."""
    bs = 64
    seqs = [(l - 1, 1)] * b if kind == "decode" else [(l - b, b)]
    width = (l + bs - 1) // bs
    total = len(seqs) * width + 3
    table = torch.randperm(total, device="cuda")[:len(seqs) * width].int().view(len(seqs), width)
    row_seq = torch.tensor([s for s, (st, t) in enumerate(seqs) for _ in range(t)], dtype=torch.int32, device="cuda")
    row_pos = torch.tensor([p for st, t in seqs for p in range(st, st + t)], dtype=torch.int32, device="cuda")
    rows = row_pos.numel()
    q8 = torch.randint(0, 0x7E, (rows * HEADS * DIM,), dtype=torch.uint8, device="cuda")
    keys = torch.randint(0, 0x7E, (total * bs * DIM,), dtype=torch.uint8, device="cuda")
    w = torch.rand(rows * HEADS, device="cuda") * 0.02 - 0.01
    scales = torch.rand(total * bs, device="cuda") * 0.01
    scores = torch.empty((rows, l), device="cuda")
    group = 8 if kind == "prefill" and rows >= 16 else 1
    groups = (rows + group - 1) // group
    chunk = wh_chunk(l, groups, group) if HOPPER else tc_chunk(l, groups)

    def idx():
        launch(F_IDX[group], ((l + chunk - 1) // chunk, groups), (256,), wh_shared(group) if HOPPER else TC_SHARED + group * 256,
               q8, w, keys, scales, row_seq, row_pos, table, width, bs, 0, scores, rows, l, chunk)
    return idx, scores, row_pos, rows


def bench():
    print("\nCUDA-graph replay times (ms); % = top-k / indexer; * = the launcher's choice (TopKLauncher.Pick)")
    shapes = [("decode", b, l) for b in (1, 32, 128) for l in (4096, 32768, 131072)] + \
             [("prefill", 4096, 8192), ("prefill", 4096, 32768), ("prefill", 4096, 131072)]
    for kind, b, l in shapes:
        idx, scores, row_pos, rows = indexer_setup(kind, b, l)
        big = rows * l > 1 << 27
        t_idx = graph_time(idx, n=3 if big else 20, reps=2 if big else 3)
        idx()
        if ARGS.ties:
            scores.zero_()   # every key ties: the worst case for the radix select's bins (no early stop, no short list)
        k = 2048
        out = torch.empty((rows, k), dtype=torch.int32, device="cuda")
        want = reference(scores, row_pos.long() + 1, k) if rows * l <= 1 << 26 else None
        res = []
        for v in KERNELS:
            if not covers(v, l) or (big and v[1] not in (0, 8) and v[:3] != ("",) + pick(rows, l)):
                continue
            t = graph_time(lambda: run_topk(v, scores, row_pos, 0, l, rows, k, out), n=3 if big else 20, reps=2 if big else 3)
            if want is None:
                want = out.clone()   # too large for the sort reference: every exact kernel must agree with the first
            elif not torch.equal(out, want):
                FAILED.append(f"bench {kind} {b}x{l} {name(v)}")
            mark = "*" if v[0] == "" and v[1:3] == pick(rows, l) else ""
            res.append(f"{mark}{name(v)} {t * 1e3:.4f} ({100 * t / t_idx:.0f}%)")
        print(f"{kind} {b}x{l // 1024}K: indexer {t_idx * 1e3:.4f} | " + " | ".join(res), flush=True)
        del idx, scores, out
        torch.cuda.empty_cache()


def profile(cases):
    """One launch per KIND:B:L[:VARIANT] on the indexer's scores (for ncu): VARIANT (rows, c8_i16, ...) or the launcher's
    choice, and the baseline's same variant."""
    for case in cases.split(","):
        kind, b, l, *variant = case.split(":")
        idx, scores, row_pos, rows = indexer_setup(kind, int(b), int(l))
        idx()
        for v in KERNELS:
            if (name(v).split(":")[-1] == variant[0]) if variant else v[1:3] == pick(rows, int(l)):
                run_topk(v, scores, row_pos, 0, int(l), rows, 2048)
                torch.cuda.synchronize()
                print(f"profiled {case}: {name(v)}", flush=True)


if ARGS.profile:
    profile(ARGS.profile)
    sys.exit(0)
validate()
if not ARGS.no_bench:
    bench()
print("FAILED: " + "; ".join(FAILED) if FAILED else "ALL PASS")
