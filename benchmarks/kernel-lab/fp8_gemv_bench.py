#!/usr/bin/env python3
"""Kernel-level check and timing of fp8_gemm.cu on the GPU (CuPy + NVRTC), outside the .NET engine.

Compiles common.cuh + fp8_gemm.cu and common.cuh + fp8_gemv_tc.cu the way KernelCompiler does (--fmad=false,
--std=c++17), then
1. checks fp8_gemv_rR (at GEMV_UNROLL 2 and 4, grid uncapped and capped at one block per SM), fp8_gemv_tc_r1..r32,
   fp8_gemm_tc and fp8_gemm against a NumPy model of the reference Fp8BlockGemm (exact e4m3 products, per 128-wide K
   block an fp32 partial, acc = acc + partial * (a_scale * w_scale) in ascending kb, fp32), y written through a strided
   view; fp8_gemv_tc must also equal fp8_gemm_tc bit for bit (same k slots, same promotion order);
2. measures the device's copy bandwidth (a 1 GiB device-to-device copy, read + write bytes), then times the kernels on
   weights of real DeepSeek-V3.2 widths (GEMV columns: U<unroll>c<grid cap in blocks per SM, 0 = none>; "vtc" the
   tensor-core GEMV). Each timed launch reads a different copy of the weight (copies totalling > 4x the 50 MB L2), so
   the numbers are HBM numbers, not L2 ones.

Usage: python3 fp8_gemv_bench.py [--quick] [--define NAME=VALUE]   (one line per case; GB/s counts weight codes +
scales once; "% copy" is that rate over the copy bandwidth measured in the same run)
"""
import argparse
import os
import sys
import time

import numpy as np
import cupy as cp

HERE = os.path.dirname(os.path.abspath(__file__))
KERNELS = os.path.join(HERE, "..", "..", "src", "SeekSharp.Cuda", "Kernels")
WARPS = 8  # GEMV_WARPS in fp8_gemm.cu
# --define NAME=VALUE (repeatable): extra preprocessor definitions, to time a kernel variant against the default
DEFINES = [sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--define"]


def source(name="fp8_gemm.cu"):
    with open(os.path.join(KERNELS, "common.cuh")) as f:
        common = f.read()
    with open(os.path.join(KERNELS, name)) as f:
        return common + "\n" + f.read()


def compile_module(unroll, name="fp8_gemm.cu"):
    opts = ("--std=c++17", "--fmad=false", f"-DGEMV_UNROLL={unroll}") + tuple(f"-D{d}" for d in DEFINES)
    t = time.time()
    try:
        mod = cp.RawModule(code=source(name), options=opts)
        mod.compile()
    except Exception as e:  # CuPy may pass its own --std: retry without ours
        print(f"compile with {opts} failed ({str(e)[:300]}); retrying without --std", flush=True)
        mod = cp.RawModule(code=source(name), options=opts[1:])
        mod.compile()
    print(f"compiled {name} GEMV_UNROLL={unroll} in {time.time() - t:.1f} s", flush=True)
    return mod


VTC = None  # the fp8_gemv_tc.cu module (main sets it)
VTC_KERNELS = ((1, "fp8_gemv_tc_r1"), (2, "fp8_gemv_tc_r2"), (4, "fp8_gemv_tc_r4"), (8, "fp8_gemv_tc_r8"),
               (16, "fp8_gemv_tc_r16"), (32, "fp8_gemv_tc_r32"))  # most rows, kernel
VTC_INFO = {}  # kernel -> (dynamic shared bytes, outputs a tile, blocks per SM)
SMS, SHARED_PER_SM = 132, 228 * 1024  # main reads the device's own


def vtc_info(name):
    """The kernel's dynamic shared bytes and outputs a tile (from its _shape twin), and how many blocks an SM holds."""
    if name not in VTC_INFO:
        out = cp.zeros(2, cp.int32)
        VTC.get_function(name + "_shape")((1,), (1,), (out,))
        shared, bn = (int(v) for v in out.get())
        f = VTC.get_function(name)
        if shared > 48 * 1024:
            try:
                f.max_dynamic_shared_size_bytes = shared
            except Exception as e:  # a variant past the opt-in limit: say so and stop
                sys.exit(f"{name}: {shared} shared bytes do not fit ({e})")
        by_shared = SHARED_PER_SM // (shared + 1024)
        by_regs = 65536 // (((f.num_regs * 32 + 255) // 256 * 256) * 8)
        VTC_INFO[name] = (shared, bn, max(1, min(8, by_shared, by_regs)))
    return VTC_INFO[name]


def launch_vtc(rows, a, a_s, w, w_s, y, out, inn, y_stride):
    _, name = next(v for v in VTC_KERNELS if rows <= v[0])
    shared, bn, per_sm = vtc_info(name)
    blocks = min((out + bn - 1) // bn, per_sm * SMS)   # one resident wave, as Fp8GemvTensorCores
    VTC.get_function(name)((blocks,), (256,),
                           (a, a_s, w, w_s, y, np.int32(rows), np.int32(out), np.int32(inn), np.int32(y_stride),
                            np.int32(0)), shared_mem=shared)


def e4m3_table():
    """fp32 value of every e4m3fn code (Fp8E4M3.ToFloat); 0x7F/0xFF NaN."""
    t = np.zeros(256, np.float32)
    for c in range(256):
        s = -1.0 if c & 0x80 else 1.0
        e, m = (c >> 3) & 15, c & 7
        if e == 15 and m == 7:
            t[c] = np.nan
        elif e == 0:
            t[c] = s * m * 2.0 ** -9
        else:
            t[c] = s * (1 + m / 8) * 2.0 ** (e - 7)
    return t


LUT = e4m3_table()


def reference(a, a_s, w, w_s, rows, out, inn):
    """The reference's semantics; the within-block sum is done in float64 then rounded (differs by ~1 ulp)."""
    kb_n = (inn + 127) // 128
    av = LUT[a].astype(np.float64).reshape(rows, inn)
    wv = LUT[w].astype(np.float64).reshape(out, inn)
    acc = np.zeros((rows, out), np.float32)
    ws_rows = np.repeat(w_s.reshape(-1, kb_n), 128, axis=0)[:out]  # [out, kb]
    for kb in range(kb_n):
        k0, k1 = kb * 128, min(inn, kb * 128 + 128)
        partial = (av[:, k0:k1] @ wv[:, k0:k1].T).astype(np.float32)
        scale = (a_s.reshape(rows, kb_n)[:, kb:kb + 1] * ws_rows[None, :, kb]).astype(np.float32)
        acc = (acc + (partial * scale).astype(np.float32)).astype(np.float32)
    return acc


def random_codes(n, rng):
    c = rng.integers(0, 256, n, dtype=np.uint8)
    c[(c & 0x7F) == 0x7F] -= 1  # no NaN codes
    return c


def launch_gemv(mod, rows, a, a_s, w, w_s, y, out, inn, y_stride, cap, sms):
    f = mod.get_function(f"fp8_gemv_r{rows}")
    shared = rows * inn * 4
    if shared > 48 * 1024 and f.max_dynamic_shared_size_bytes < shared:
        f.max_dynamic_shared_size_bytes = shared
    blocks = (out + WARPS - 1) // WARPS
    if cap:
        blocks = min(blocks, cap * sms)
    f((blocks,), (32 * WARPS,), (a, a_s, w, w_s, y, np.int32(out), np.int32(inn), np.int32(y_stride), np.int32(0)),
      shared_mem=shared)


def launch_tiled(mod, rows, a, a_s, w, w_s, y, out, inn, y_stride):
    f = mod.get_function("fp8_gemm")
    f(((out + 63) // 64, (rows + 63) // 64), (256,),
      (a, a_s, w, w_s, y, np.int32(rows), np.int32(out), np.int32(inn), np.int32(y_stride)))


def launch_tc(mod, rows, a, a_s, w, w_s, y, out, inn, y_stride):
    f = mod.get_function("fp8_gemm_tc")
    f(((out + 127) // 128, (rows + 63) // 64), (256,),
      (a, a_s, w, w_s, y, np.int32(rows), np.int32(out), np.int32(inn), np.int32(y_stride)))


def normalised_error(y, ref):
    scale = float(np.max(np.abs(ref))) or 1.0
    return float(np.max(np.abs(y.astype(np.float64) - ref))) / scale


def check(mods, sms, rng):
    cases = [(1, 576, 384), (3, 320, 448), (5, 1536, 7168), (3, 24576, 1536), (4, 7168, 2048), (1, 130, 256),
             (8, 2048, 7168), (7, 200, 512), (2, 256, 128), (6, 7168, 2048),
             (13, 320, 448), (64, 256, 512), (100, 576, 384), (9, 2048, 7168), (200, 1536, 7168),
             (16, 1000, 3200), (12, 7168, 16384), (17, 576, 7168), (32, 130, 2064), (25, 2048, 1536), (1, 7, 16),
             (3, 256, 18432), (32, 4096, 512)]
    worst = 0.0
    ok = True
    for rows, out, inn in cases:
        kb_n = (inn + 127) // 128
        a = random_codes(rows * inn, rng)
        w = random_codes(out * inn, rng)
        a_s = (2.0 ** rng.uniform(-12, -2, rows * kb_n)).astype(np.float32)
        w_s = (2.0 ** rng.uniform(-12, -2, ((out + 127) // 128) * kb_n)).astype(np.float32)
        ref = reference(a, a_s, w, w_s, rows, out, inn)
        d = [cp.asarray(x) for x in (a, a_s, w, w_s)]
        results = {}
        y = cp.zeros((rows, out), cp.float32)
        launch_tiled(mods[0][1], rows, *d, y, out, inn, out)
        results["tiled"] = cp.asnumpy(y)
        y = cp.full((rows, out + 3), 7.0, cp.float32)
        launch_tc(mods[0][1], rows, *d, y, out, inn, out + 3)
        yh = cp.asnumpy(y)
        if not np.all(yh[:, out:] == 7.0):
            print("FAIL tc wrote past its columns", flush=True)
            ok = False
        results["tc"] = yh[:, :out]
        if rows <= 32:
            y = cp.full((rows, out + 3), 7.0, cp.float32)
            launch_vtc(rows, *d, y, out, inn, out + 3)
            yh = cp.asnumpy(y)
            if not np.all(yh[:, out:] == 7.0):
                print("FAIL vtc wrote past its columns", flush=True)
                ok = False
            results["vtc"] = yh[:, :out]
            if not np.array_equal(results["vtc"].view(np.uint32), results["tc"].view(np.uint32)):
                diff = int(np.sum(results["vtc"].view(np.uint32) != results["tc"].view(np.uint32)))
                print(f"FAIL vtc differs from tc in {diff} values (must be bit-identical)", flush=True)
                ok = False
        for unroll, mod in (mods if rows <= 8 else []):
            for cap in (0, 1):
                y = cp.full((rows, out + 3), 7.0, cp.float32)  # strided y: the 3 padding columns must stay 7
                launch_gemv(mod, rows, *d, y, out, inn, out + 3, cap, sms)
                yh = cp.asnumpy(y)
                if not np.all(yh[:, out:] == 7.0):
                    print(f"FAIL gemv U={unroll} wrote past its columns", flush=True)
                    ok = False
                results[f"gemv U={unroll} cap={cap}"] = yh[:, :out]
        line = []
        for name, yv in results.items():
            e = normalised_error(yv, ref)
            worst = max(worst, e)
            if not (e <= 1e-5):
                ok = False
            line.append(f"{name}: {e:.2e}")
        # the GEMV and the tiled kernel differ only in the within-block summation order
        print(f"check rows={rows} out={out} in={inn}: " + ", ".join(line), flush=True)
    print(f"CHECK {'OK' if ok else 'FAILED'} (worst normalised error {worst:.2e}, bar 1e-5 here, 1e-4 in the op tests)",
          flush=True)
    return ok


def timed(fn, launches, reps=3):
    """Microseconds per launch: the launches captured into one CUDA graph and replayed (best of reps), so a small
    kernel is timed by the GPU and not by Python's launch rate (~15 us a launch), as in the engine's decode graphs."""
    stream = cp.cuda.Stream(non_blocking=True)
    with stream:
        fn(0)
        stream.synchronize()
        stream.begin_capture()
        for i in range(launches):
            fn(i)
        graph = stream.end_capture()
    graph.upload(stream)
    graph.launch(stream)
    stream.synchronize()
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    best = float("inf")
    for _ in range(reps):
        start.record(stream)
        graph.launch(stream)
        stop.record(stream)
        stop.synchronize()
        best = min(best, cp.cuda.get_elapsed_time(start, stop) * 1e3 / launches)
    return best  # microseconds per launch


def bench(mods, sms, rng, quick):
    # DeepSeek-V3.2 decode projections: shared expert gate/up, down, q_b, q_a, kv_a, o_proj, indexer wq_b and wk
    shapes = [(2048, 7168), (7168, 2048), (24576, 1536), (1536, 7168), (576, 7168), (7168, 16384), (8192, 1536),
              (128, 7168)]
    row_counts = [1, 2, 4, 8, 16, 32] if not quick else [1, 8, 16, 32]
    for out, inn in shapes:
        kb_n = (inn + 127) // 128
        wbytes = out * inn + ((out + 127) // 128) * kb_n * 4
        copies = max(2, -(-256 * 2 ** 20 // wbytes))  # > 4x L2 in total
        ws = [cp.random.randint(0, 126, out * inn, dtype=cp.uint8) for _ in range(copies)]
        wss = [cp.asarray((2.0 ** rng.uniform(-12, -2, ((out + 127) // 128) * kb_n)).astype(np.float32))
               for _ in range(copies)]
        for rows in row_counts + ([] if quick else [16, 64]):
            a = cp.random.randint(0, 126, rows * inn, dtype=cp.uint8)
            a_s = cp.asarray((2.0 ** rng.uniform(-12, -2, rows * kb_n)).astype(np.float32))
            y = cp.zeros((rows, out), cp.float32)
            res = []
            if rows <= 32:
                t = timed(lambda i: launch_vtc(rows, a, a_s, ws[i % copies], wss[i % copies], y, out, inn, out), 50)
                res.append(f"vtc {t:6.1f} us {wbytes / t / 1e3:5.0f} GB/s ({wbytes / t / 1e3 / COPY_GBS:4.0%} copy)")
            if rows <= 16 and not quick:
                t = timed(lambda i: launch_tiled(mods[0][1], rows, a, a_s, ws[i % copies], wss[i % copies], y, out, inn,
                                                 out), 20)
                res.append(f"tiled {t:8.1f} us {wbytes / t / 1e3:7.0f} GB/s")
            if rows <= 32:
                t = timed(lambda i: launch_tc(mods[0][1], rows, a, a_s, ws[i % copies], wss[i % copies], y, out, inn,
                                              out), 20)
                res.append(f"tc {t:6.1f} us {wbytes / t / 1e3:5.0f} GB/s")
            if rows <= 8 and rows * inn * 4 <= 227 * 1024:
                for unroll, mod in mods:
                    for cap in ((0,) if quick else (0, 2, 4)):
                        t = timed(lambda i: launch_gemv(mod, rows, a, a_s, ws[i % copies], wss[i % copies], y, out,
                                                        inn, out, cap, sms), 50)
                        res.append(f"U{unroll}c{cap} {t:6.1f} us {wbytes / t / 1e3:5.0f} GB/s")
            elif rows == 64:
                t = timed(lambda i: launch_tiled(mods[0][1], rows, a, a_s, ws[i % copies], wss[i % copies], y, out, inn,
                                                 out), 10)
                flops = 2.0 * rows * out * inn
                res.append(f"tiled {t:8.1f} us {flops / t / 1e3:7.0f} GFLOP/s")
                t = timed(lambda i: launch_tc(mods[0][1], rows, a, a_s, ws[i % copies], wss[i % copies], y, out, inn,
                                              out), 20)
                res.append(f"tc {t:8.1f} us {flops / t / 1e3:7.0f} GFLOP/s {wbytes / t / 1e3:5.0f} GB/s")
            print(f"bench out={out:5d} in={inn:4d} rows={rows:2d}: " + " | ".join(res), flush=True)
        del ws, wss
        cp.get_default_memory_pool().free_all_blocks()
    # prefill-sized tiled GEMM (the whole-layer prefill is dominated by it)
    for rows, out, inn in ([] if quick else [(4096, 2048, 7168), (4096, 1536, 7168)]):
        kb_n = (inn + 127) // 128
        a = cp.random.randint(0, 126, rows * inn, dtype=cp.uint8)
        w = cp.random.randint(0, 126, out * inn, dtype=cp.uint8)
        a_s = cp.asarray((2.0 ** rng.uniform(-12, -2, rows * kb_n)).astype(np.float32))
        w_s = cp.asarray((2.0 ** rng.uniform(-12, -2, ((out + 127) // 128) * kb_n)).astype(np.float32))
        y = cp.zeros((rows, out), cp.float32)
        t = timed(lambda i: launch_tiled(mods[0][1], rows, a, a_s, w, w_s, y, out, inn, out), 2, reps=2)
        print(f"bench tiled rows={rows} out={out} in={inn}: {t / 1e3:8.2f} ms {2.0 * rows * out * inn / t / 1e3:7.0f} GFLOP/s",
              flush=True)
        t = timed(lambda i: launch_tc(mods[0][1], rows, a, a_s, w, w_s, y, out, inn, out), 10, reps=3)
        print(f"bench tc    rows={rows} out={out} in={inn}: {t / 1e3:8.3f} ms {2.0 * rows * out * inn / t / 1e3:7.0f} GFLOP/s",
              flush=True)


COPY_GBS = 1.0


def copy_bandwidth():
    """Device-to-device copy of 1 GiB, best of 5: (read + write) bytes / time, in GB/s."""
    n = 1 << 30
    src, dst = cp.empty(n, cp.uint8), cp.empty(n, cp.uint8)
    dst[...] = src
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    best = float("inf")
    for _ in range(5):
        start.record()
        dst[...] = src
        stop.record()
        stop.synchronize()
        best = min(best, cp.cuda.get_elapsed_time(start, stop) * 1e-3)
    del src, dst
    cp.get_default_memory_pool().free_all_blocks()
    return 2 * n / best / 1e9


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--define", action="append", default=[], help="NAME=VALUE passed to NVRTC as -D (a kernel variant)")
    p.add_argument("--unroll", default="2,4")
    p.add_argument("--profile", default="", help="OUTxIN:ROWS,...: only launch fp8_gemv_tc once per shape (for ncu)")
    args = p.parse_args()
    dev = cp.cuda.Device()
    sms = dev.attributes["MultiProcessorCount"]
    print(f"device {cp.cuda.runtime.getDeviceProperties(dev.id)['name'].decode()} {sms} SMs", flush=True)
    global VTC, COPY_GBS, SMS, SHARED_PER_SM
    SMS, SHARED_PER_SM = sms, dev.attributes["MaxSharedMemoryPerMultiprocessor"]
    COPY_GBS = copy_bandwidth()
    print(f"copy bandwidth {COPY_GBS:.0f} GB/s (read + write, 1 GiB device to device; HBM peak ~4800)", flush=True)
    mods = [(int(u), compile_module(int(u))) for u in args.unroll.split(",")]
    VTC = compile_module(2, "fp8_gemv_tc.cu")
    for _, name in VTC_KERNELS:
        f = VTC.get_function(name)
        shared, bn, per_sm = vtc_info(name)
        print(f"{name}: {f.num_regs} registers, local {f.local_size_bytes} bytes, {shared} shared bytes, "
              f"{bn} outputs a tile, {per_sm} blocks per SM", flush=True)
    for u, mod in mods:
        for name in ("fp8_gemv_r1", "fp8_gemv_r4", "fp8_gemv_r8", "fp8_gemm_tc", "fp8_gemm"):
            f = mod.get_function(name)
            print(f"U={u} {name}: {f.num_regs} registers, local {f.local_size_bytes} bytes", flush=True)
    rng = np.random.default_rng(7)
    if args.profile:
        for case in args.profile.split(","):
            shape, rows = case.split(":")
            out, inn = (int(x) for x in shape.split("x"))
            rows, kb_n = int(rows), (int(inn) + 127) // 128
            a = cp.random.randint(0, 126, rows * inn, dtype=cp.uint8)
            w = cp.random.randint(0, 126, out * inn, dtype=cp.uint8)
            a_s = cp.ones(rows * kb_n, cp.float32)
            w_s = cp.ones(((out + 127) // 128) * kb_n, cp.float32)
            y = cp.zeros((rows, out), cp.float32)
            launch_vtc(rows, a, a_s, w, w_s, y, out, inn, out)
        cp.cuda.Device().synchronize()
        return
    ok = check(mods, sms, rng)
    bench(mods, sms, rng, args.quick)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
