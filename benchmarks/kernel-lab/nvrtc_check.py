#!/usr/bin/env python3
"""Compile-check .cu kernel files with NVRTC (no GPU needed) and print NVRTC's log.

Usage: nvrtc_check.py [--lib PATH] [--arch compute_90] [--prelude FILE] [--opt=--ptxas-options=-v] FILE.cu ...
Each file is compiled on its own after the prelude the runtime prepends (Kernels/common.cuh).
Exits non-zero when a file fails to compile or the log is non-empty (warnings count as failures).
"""
import argparse
import ctypes
import os
import sys

DEFAULT_PRELUDE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "SeekSharp.Cuda", "Kernels", "common.cuh")
DEFAULT_LIBS = [
    os.environ.get("NVRTC_LIB", ""),
    "/tmp/nvrtc/root/usr/lib/x86_64-linux-gnu/libnvrtc.so.11.2",
    "/usr/local/cuda/lib64/libnvrtc.so",
    "libnvrtc.so",
]


def load(path_hint):
    for p in ([path_hint] if path_hint else []) + DEFAULT_LIBS:
        if not p:
            continue
        try:
            # NVRTC dlopens its builtins library by soname: load it from the same folder first
            folder = os.path.dirname(p)
            if folder:
                for f in sorted(os.listdir(folder)):
                    if f.startswith("libnvrtc-builtins.so"):
                        ctypes.CDLL(os.path.join(folder, f), mode=ctypes.RTLD_GLOBAL)
                        break
            return ctypes.CDLL(p), p
        except OSError:
            continue
    sys.exit("nvrtc_check: no libnvrtc found (set NVRTC_LIB or --lib)")


def check(nvrtc, name, source, options):
    prog = ctypes.c_void_p()
    rc = nvrtc.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(), 0, None, None)
    if rc != 0:
        return False, f"nvrtcCreateProgram failed ({rc})"
    opts = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
    rc = nvrtc.nvrtcCompileProgram(prog, len(options), opts)
    size = ctypes.c_size_t()
    nvrtc.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    buf = ctypes.create_string_buffer(size.value)
    nvrtc.nvrtcGetProgramLog(prog, buf)
    log = buf.value.decode(errors="replace").strip()
    ptx_size = ctypes.c_size_t()
    if rc == 0:
        nvrtc.nvrtcGetPTXSize(prog, ctypes.byref(ptx_size))
    nvrtc.nvrtcDestroyProgram(ctypes.byref(prog))
    # ptxas -v statistics (--opt=--ptxas-options=-v) are information; anything else in the log is a warning
    noise = [l for l in log.splitlines() if l.strip() and not l.startswith("ptxas")]
    ok = rc == 0 and not noise
    return ok, (log or "") + (f"\n(ptx {ptx_size.value} bytes)" if rc == 0 else f"\n(nvrtcCompileProgram rc={rc})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", default="")
    ap.add_argument("--arch", default="compute_90")
    ap.add_argument("--prelude", default=DEFAULT_PRELUDE, help="source prepended to each file ('' for none)")
    ap.add_argument("--opt", action="append", default=[], help="extra NVRTC option")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    nvrtc, path = load(a.lib)
    major, minor = ctypes.c_int(), ctypes.c_int()
    nvrtc.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
    print(f"nvrtc {major.value}.{minor.value} ({path})")
    prelude = open(a.prelude, encoding="utf-8").read() + "\n" if a.prelude else ""
    # KernelCompiler.BaseOptions (sm_90a needs NVRTC >= 12; compute_90 checks the same code with 11.8)
    options = [f"--gpu-architecture={a.arch}", "--std=c++17", "--fmad=false"] + a.opt
    failed = 0
    for f in a.files:
        text = open(f, encoding="utf-8").read()
        if any(ord(ch) > 127 for ch in text):
            print(f"FAIL {f}\nnon-ASCII characters (keep kernel files ASCII)")
            failed += 1
            continue
        ok, log = check(nvrtc, os.path.basename(f), prelude + text, options)
        print(f"{'OK  ' if ok else 'FAIL'} {f}{(chr(10) + log) if log.strip() else ''}")
        failed += not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
