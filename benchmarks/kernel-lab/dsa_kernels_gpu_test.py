#!/usr/bin/env python3
"""GPU check of the DSA kernels (indexer.cu, topk.cu, mla_attention.cu) against torch references of the
IComputeDevice contract. Runs on the GPU box (python3 with torch); compiles the .cu files with NVRTC and
launches them through the driver API exactly as the C# launchers do (same grid/block/shared sizes).

Usage: python3 benchmarks/kernel-lab/dsa_kernels_gpu_test.py [--bench]
"""
import sys
import time

import torch

from nvrtc_lab import compile_module, func, launch  # noqa: E402


def compile_cu(name):
    return compile_module(name)


def function(mod, name):
    return func(mod, name)


torch.cuda.init()
torch.zeros(1, device="cuda")
check(cu.cuInit(0), "cuInit")
mod_idx, mod_topk, mod_mla = compile_cu("indexer.cu"), compile_cu("topk.cu"), compile_cu("mla_attention.cu")
F_IDX = function(mod_idx, "indexer_scores")
F_TOPK = function(mod_topk, "topk_rows")
F_PRE = function(mod_mla, "mla_prefill")
F_ABS = function(mod_mla, "mla_absorbed")

failures = []


def report(name, ok, detail=""):
    print(f"{'PASS' if ok else 'FAIL'} {name} {detail}")
    if not ok:
        failures.append(name)


def bf16(x):
    return x.to(torch.bfloat16).to(torch.float32)


# ---------------------------------------------------------------- the launches (mirror the C# launchers)
def run_indexer(q8, w, keys, ks, tokens, start, heads, dim):
    end = start + tokens
    scores = torch.full((tokens, end), 7.0, device="cuda")
    shared = (heads + 64) * (dim + 4) * 4
    launch(F_IDX, ((end + 255) // 256, tokens), (256,), shared, q8, w, keys, ks, None, None, None, 1, 1, start, scores, heads, dim, end)
    return scores


def run_topk(scores, tokens, start, k):
    end = start + tokens
    out = torch.full((tokens, k), 12345, dtype=torch.int32, device="cuda")
    launch(F_TOPK, (tokens,), (1024,), 0, scores, out, None, start, end, k)
    return out


def run_prefill(q, kvb, kpe, idx, width, tokens, heads, nope, rope, v, scale):
    out = torch.full((tokens, heads, v), 7.0, device="cuda")
    launch(F_PRE, (heads, tokens), (256,), 0, q, kvb, kpe, idx, out, None, width, heads, nope, rope, v, scale)   # no lse
    return out


def run_absorbed(q, wkvb, lat, kpe, idx, width, tokens, start, heads, nope, rope, v, lora, scale, chunk=None):
    keys = width if idx is not None else start + tokens
    chunk = chunk or max(1, min(keys, 2048))
    out = torch.full((tokens, heads, v), 7.0, device="cuda")
    shared = 4 * (8 * (lora + rope) + 8 * max(lora, nope) + 8 * chunk)
    launch(F_ABS, ((heads + 7) // 8, tokens), (256,), shared, q, wkvb, lat, kpe, idx, out, None, width, start, heads, nope, rope, v, lora, chunk, scale)
    return out


# ---------------------------------------------------------------- references
def e4m3(codes):
    return codes.view(torch.float8_e4m3fn).to(torch.float64)


def ref_indexer(q8, w, keys, ks, tokens, start, heads, dim):
    end = start + tokens
    q = e4m3(q8).view(tokens, heads, dim)
    k = e4m3(keys[: end * dim]).view(end, dim)
    dots = torch.einsum("thd,sd->ths", q, k)
    terms = torch.clamp_min(dots, 0) * w.view(tokens, heads, 1).double()
    nan = torch.isnan(dots).any(dim=1)
    s = terms.sum(1) * ks[:end].double()
    bound = terms.abs().sum(1) * ks[:end].double().abs()
    s[nan] = float("nan")
    bound = torch.nan_to_num(bound, nan=0.0)
    pos = torch.arange(end, device="cuda").view(1, end)
    vis = pos <= (start + torch.arange(tokens, device="cuda")).view(tokens, 1)
    s[~vis] = float("-inf")
    return s, bound, vis


def ref_topk(scores, tokens, start, k):
    end = start + tokens
    out = torch.full((tokens, k), -1, dtype=torch.int32)
    for i in range(tokens):
        vis = start + i + 1
        row = scores[i, :vis].double().cpu()
        order = torch.sort(row, descending=True, stable=True).indices[: min(k, vis)]
        out[i, : len(order)] = torch.sort(order).values.to(torch.int32)
    return out


def keys_of(idx, width, i, pos):
    if idx is None:
        return torch.arange(pos + 1, device="cuda")
    row = idx[i * width: (i + 1) * width] if idx.dim() == 1 else idx[i]
    return row[row >= 0].long()


def softmax_bf16(s):
    if s.numel() == 0:
        return s
    p = torch.exp(s - s.max()) / torch.exp(s - s.max()).sum()
    return bf16(p)


def ref_prefill(q, kvb, kpe, idx, width, tokens, heads, nope, rope, v, scale):
    out = torch.zeros(tokens, heads, v, device="cuda")
    for i in range(tokens):
        ks = keys_of(idx, width, i, i)
        if ks.numel() == 0:
            continue
        kn = kvb[ks, :, :nope]                       # [n, H, nope]
        vv = kvb[ks, :, nope:]                       # [n, H, v]
        s = (torch.einsum("hd,nhd->hn", q[i, :, :nope], kn) + torch.einsum("hd,nd->hn", q[i, :, nope:], kpe[ks])) * scale
        p = bf16(torch.softmax(s, dim=1))
        out[i] = bf16(torch.einsum("hn,nhd->hd", p, vv))
    return out


def ref_absorbed(q, wkvb, lat, kpe, idx, width, tokens, start, heads, nope, rope, v, lora, scale):
    out = torch.zeros(tokens, heads, v, device="cuda")
    wuk, wuv = wkvb[:, :nope, :], wkvb[:, nope:, :]
    for i in range(tokens):
        ks = keys_of(idx, width, i, start + i)
        if ks.numel() == 0:
            continue
        qa = bf16(torch.einsum("hd,hdc->hc", q[i, :, :nope], wuk))
        s = (qa @ lat[ks].T + q[i, :, nope:] @ kpe[ks].T) * scale
        p = bf16(torch.softmax(s, dim=1))
        olat = bf16(p @ lat[ks])
        out[i] = bf16(torch.einsum("hc,hdc->hd", olat, wuv))
    return out


def compare_bf16(name, got, ref):
    err = (got - ref).abs()
    scale = ref.abs().max().item() or 1.0
    worst = err.max().item() / scale
    same = (got == ref).float().mean().item()
    finite = torch.isfinite(got).all().item()
    report(name, finite and worst < 2e-2 and same > 0.5, f"max err/max|ref| {worst:.2e}, bit-equal {same:.3f}")


# ---------------------------------------------------------------- tests
def test_indexer(tokens, start, heads, dim, nan=False, seed=0):
    g = torch.Generator(device="cuda").manual_seed(seed)
    end = start + tokens
    q8 = torch.randint(0, 256, (tokens * heads * dim,), dtype=torch.uint8, device="cuda", generator=g)
    keys = torch.randint(0, 256, ((end + 3) * dim,), dtype=torch.uint8, device="cuda", generator=g)
    if not nan:
        q8[(q8 & 0x7F) == 0x7F] = 0x3F
        keys[(keys & 0x7F) == 0x7F] = 0x40
    w = torch.randn(tokens * heads, device="cuda", generator=g)
    ks = torch.rand(end + 3, device="cuda", generator=g) * 0.01
    got = run_indexer(q8, w, keys, ks, tokens, start, heads, dim)
    ref, bound, vis = ref_indexer(q8, w, keys, ks, tokens, start, heads, dim)
    g64 = got.double()
    masked_ok = torch.isneginf(g64[~vis]).all().item()
    both_nan = torch.isnan(g64) & torch.isnan(ref)
    diff = (g64 - ref).abs()
    diff[both_nan] = 0
    diff[~vis] = 0
    nan_ok = torch.equal(torch.isnan(g64), torch.isnan(ref))
    ok = masked_ok and nan_ok and (diff <= 1e-5 * bound + 1e-30).all().item()
    report(f"indexer t={tokens} start={start} H={heads} d={dim} nan={nan}", ok,
           f"max rel {(diff / (bound + 1e-30)).max().item():.2e}")
    return got


def test_topk(scores, tokens, start, k, label):
    got = run_topk(scores, tokens, start, k).cpu()
    ref = ref_topk(scores, tokens, start, k)
    ok = torch.equal(got, ref)
    bad = (got != ref).any(dim=1).nonzero().flatten().tolist()[:5]
    report(f"topk {label} t={tokens} start={start} k={k}", ok, "" if ok else f"bad rows {bad}")


def topk_cases():
    g = torch.Generator(device="cuda").manual_seed(1)
    # heavy ties, -0/+0 mix, large rows
    for tokens, start, k in [(4, 130000, 2048), (3, 100, 2048), (64, 3000, 2048), (5, 5000, 1), (2, 40000, 777)]:
        end = start + tokens
        s = (torch.randint(-40, 40, (tokens, end), device="cuda", generator=g).float() / 8)
        s[s == 0] = torch.where(torch.rand(int((s == 0).sum()), device="cuda", generator=g) < 0.5, -0.0, 0.0)
        test_topk(s, tokens, start, k, "ties")
        test_topk(torch.randn(tokens, end, device="cuda", generator=g), tokens, start, k, "normal")
    # all equal, and all zero with signs
    s = torch.full((2, 9000), 3.25, device="cuda")
    test_topk(s, 2, 8998, 2048, "all-equal")
    s = torch.zeros(2, 9000, device="cuda")
    s[:, ::3] = -0.0
    test_topk(s, 2, 8998, 2048, "all-zero")
    # huge magnitudes and infinities inside the visible part
    s = torch.randn(3, 5003, device="cuda", generator=g) * 1e30
    s[:, 7] = float("inf"); s[:, 9] = float("-inf"); s[:, 11] = -3e38
    test_topk(s, 3, 5000, 2048, "extremes")


def test_mla():
    g = torch.Generator(device="cuda").manual_seed(2)
    scale = 0.13523378
    nope, rope, v, lora = 128, 64, 128, 512

    def rnd(*shape, s=1.0):
        return bf16(torch.randn(*shape, device="cuda", generator=g) * s)

    # prefill: dense (null indices), sparse (top-k of random scores, -1 padded), dense beyond the 2048 score cache
    for tokens, heads, width in [(300, 8, 0), (300, 8, 64), (2300, 2, 0), (40, 3, 2048)]:
        q = rnd(tokens, heads, nope + rope)
        kvb = rnd(tokens, heads, nope + v)
        kpe = rnd(tokens + 5, rope)
        idx = None
        if width:
            sc = torch.randn(tokens, tokens, device="cuda", generator=g)
            idx = run_topk(sc, tokens, 0, width)
        got = run_prefill(q, kvb, kpe, idx, width, tokens, heads, nope, rope, v, scale)
        ref = ref_prefill(q, kvb, kpe, idx, width, tokens, heads, nope, rope, v, scale)
        compare_bf16(f"mla_prefill t={tokens} H={heads} width={width}", got, ref)

    # absorbed: decode-like and chunk-like, dense and sparse, partial head groups, multi-chunk scores
    for tokens, start, heads, width, chunk in [(1, 300, 16, 0, None), (3, 5000, 12, 0, None), (4, 3000, 16, 2048, None),
                                               (2, 100, 8, 2048, None), (2, 700, 20, 512, 100), (1, 0, 8, 0, None)]:
        end = start + tokens
        q = rnd(tokens, heads, nope + rope)
        wkvb = rnd(heads, nope + v, lora, s=0.05)
        lat = rnd(end + 3, lora)
        kpe = rnd(end + 3, rope)
        idx = None
        if width:
            sc = torch.randn(tokens, end, device="cuda", generator=g)
            idx = run_topk(sc, tokens, start, width)
        got = run_absorbed(q, wkvb, lat, kpe, idx, width, tokens, start, heads, nope, rope, v, lora, scale, chunk)
        ref = ref_absorbed(q, wkvb, lat, kpe, idx, width, tokens, start, heads, nope, rope, v, lora, scale)
        compare_bf16(f"mla_absorbed t={tokens} start={start} H={heads} width={width} chunk={chunk}", got, ref)

    # a row whose slots are all -1 gives zeros
    idx = torch.full((1, 16), -1, dtype=torch.int32, device="cuda")
    q = rnd(1, 8, nope + rope)
    got = run_absorbed(q, rnd(8, nope + v, lora), rnd(4, lora), rnd(4, rope), idx, 16, 1, 3, 8, nope, rope, v, lora, scale)
    report("mla_absorbed all -1 -> zeros", (got == 0).all().item())
    got = run_prefill(q, rnd(1, 8, nope + v), rnd(1, rope), idx, 16, 1, 8, nope, rope, v, scale)
    report("mla_prefill all -1 -> zeros", (got == 0).all().item())


def bench():
    def timed(fn, reps=20):
        fn(); torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        torch.cuda.synchronize()
        return (time.perf_counter() - t0) / reps * 1e3

    g = torch.Generator(device="cuda").manual_seed(3)
    for tokens, start in [(1, 131071), (32, 32768 - 32), (128, 131072 - 128)]:
        end = start + tokens
        q8 = torch.randint(0, 0x70, (tokens * 64 * 128,), dtype=torch.uint8, device="cuda", generator=g)
        keys = torch.randint(0, 0x70, (end * 128,), dtype=torch.uint8, device="cuda", generator=g)
        w = torch.randn(tokens * 64, device="cuda", generator=g)
        ks = torch.rand(end, device="cuda", generator=g)
        ms = timed(lambda: run_indexer(q8, w, keys, ks, tokens, start, 64, 128))
        sc = run_indexer(q8, w, keys, ks, tokens, start, 64, 128)
        ms2 = timed(lambda: run_topk(sc, tokens, start, 2048))
        print(f"bench indexer t={tokens} end={end}: {ms:.3f} ms; topk {ms2:.3f} ms")
    for tokens, start in [(1, 4095), (32, 32768), (128, 131072)]:
        end = start + tokens
        q = bf16(torch.randn(tokens, 128, 192, device="cuda", generator=g))
        wkvb = bf16(torch.randn(128, 256, 512, device="cuda", generator=g) * 0.05)
        lat = bf16(torch.randn(end, 512, device="cuda", generator=g))
        kpe = bf16(torch.randn(end, 64, device="cuda", generator=g))
        idx = run_topk(torch.randn(tokens, end, device="cuda", generator=g), tokens, start, 2048)
        ms = timed(lambda: run_absorbed(q, wkvb, lat, kpe, idx, 2048, tokens, start, 128, 128, 64, 128, 512, 0.135))
        print(f"bench mla_absorbed t={tokens} end={end} topk 2048: {ms:.3f} ms")


if __name__ == "__main__":
    test_indexer(5, 300, 64, 128)
    test_indexer(1, 4999, 64, 128)
    test_indexer(7, 60, 40, 96, seed=3)
    test_indexer(3, 10, 128, 256, seed=4)
    test_indexer(2, 100, 64, 128, nan=True, seed=5)
    # topk over real indexer output (masked -inf region must not be read)
    sc = test_indexer(50, 2100, 64, 128, seed=6)
    test_topk(sc, 50, 2100, 2048, "indexer-output")
    topk_cases()
    test_mla()
    if "--bench" in sys.argv:
        bench()
    print(f"{len(failures)} failed" + (f": {failures}" if failures else ""))
    sys.exit(1 if failures else 0)
