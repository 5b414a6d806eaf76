#!/usr/bin/env python3
"""Reference rates on this GPU, measured by PyTorch in the same device call as `seek bench gpu`: device-to-device copy
bandwidth, dense bf16 GEMM, and FP8 e4m3 GEMMs through torch._scaled_mm (row-wise scales, and DeepSeek's 1x128 /
128x128 block scales where this PyTorch/cuBLASLt takes them) at the MoE prefill shape seek bench gpu's `dense_equal`
row uses (32768 rows x 7168 -> 2048). Prints one line per rate; --json writes them.

Usage: python3 torch_gemm_rates.py [--json FILE]
"""
import argparse
import json

import torch


def timed(fn, reps=20):
    fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / reps  # ms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json")
    args = parser.parse_args()
    dev = torch.device("cuda")
    rows = []

    src = torch.empty(2 << 30, dtype=torch.uint8, device=dev)
    dst = torch.empty_like(src)
    ms = timed(lambda: dst.copy_(src))
    rows.append({"what": "copy 2 GiB (read + write)", "ms": ms, "GBps": 2 * src.numel() / ms / 1e6})
    del src, dst

    n = 8192
    a = torch.randn(n, n, dtype=torch.bfloat16, device=dev)
    b = torch.randn(n, n, dtype=torch.bfloat16, device=dev)
    ms = timed(lambda: a @ b)
    rows.append({"what": f"bf16 matmul {n}^3", "ms": ms, "TFLOPs": 2 * n ** 3 / ms / 1e9})
    del a, b

    m, k, nout = 32768, 7168, 2048
    x8 = (torch.randn(m, k, device=dev) * 0.5).to(torch.float8_e4m3fn)
    w8 = (torch.randn(nout, k, device=dev) * 0.5).to(torch.float8_e4m3fn)
    flop = 2 * m * k * nout
    sa, sb = torch.ones(m, 1, device=dev), torch.ones(1, nout, device=dev)
    ms = timed(lambda: torch._scaled_mm(x8, w8.t(), scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16))
    rows.append({"what": f"fp8 scaled_mm row-wise [{m},{k}]x[{k},{nout}]", "ms": ms, "TFLOPs": flop / ms / 1e9})
    try:
        # 1x128 activation scales, outer-dim-major; 128x128 weight scales (DeepSeek's recipe)
        sa_blk = torch.ones(k // 128, m, device=dev).t()
        sb_blk = torch.ones(nout // 128, k // 128, device=dev).t()
        ms = timed(lambda: torch._scaled_mm(x8, w8.t(), scale_a=sa_blk, scale_b=sb_blk, out_dtype=torch.bfloat16))
        rows.append({"what": f"fp8 scaled_mm 1x128/128x128 blocks [{m},{k}]x[{k},{nout}]", "ms": ms, "TFLOPs": flop / ms / 1e9})
    except Exception as e:  # older PyTorch / cuBLASLt: no block scales
        rows.append({"what": "fp8 scaled_mm 1x128/128x128 blocks", "ms": None, "note": str(e).splitlines()[0][:200]})

    for r in rows:
        if "GBps" in r:
            rate = f"{r['GBps']:.0f} GB/s"
        elif "TFLOPs" in r:
            rate = f"{r['TFLOPs']:.0f} TFLOP/s"
        else:
            rate = r.get("note", "")
        time = "" if r["ms"] is None else f"{r['ms']:.3f} ms"
        print(f"{r['what']:<60} {time:>12}  {rate}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
