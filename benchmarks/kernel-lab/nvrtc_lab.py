"""Shared prelude of the kernel-lab scripts: compile an embedded kernel file (common.cuh + the file, as the C#
KernelCompiler does) with NVRTC, load it through the driver API, and launch functions on torch's current stream.

    from nvrtc_lab import compile_module, func, launch, regs, timed, I64
"""
import ctypes
import glob
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNELS = os.path.join(ROOT, "src", "SeekSharp.Cuda", "Kernels")


def load_lib(names):
    for n in names:
        try:
            return ctypes.CDLL(n, mode=ctypes.RTLD_GLOBAL)
        except OSError:
            pass
    sys.exit(f"none of {names} loads")


CUDA_HOME = os.environ.get("CUDA_HOME", "/usr/local/cuda")
nvrtc = load_lib([os.path.join(CUDA_HOME, "lib64", "libnvrtc.so")] + sorted(glob.glob(os.path.join(CUDA_HOME, "lib64", "libnvrtc.so.*")))
                 + sorted(glob.glob("/usr/local/lib/python3*/*-packages/nvidia/cu*/lib/libnvrtc.so*"))
                 + sorted(glob.glob("/usr/local/lib/python3*/*-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so*")))
cu = load_lib(["libcuda.so.1", "libcuda.so"])


def ok(rc, what):
    if rc != 0:
        s = ctypes.c_char_p()
        cu.cuGetErrorString(rc, ctypes.byref(s))
        raise RuntimeError(f"{what}: {rc} {s.value}")


LAB_KERNELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")


def compile_module(name, defines="", arch=None, lab_files=()):
    """common.cuh + optional #defines + Kernels/<name> (None: none) + kernel-lab/kernels/<lab_files>, compiled for this
    GPU (sm_90a on Hopper) and loaded."""
    src = open(os.path.join(KERNELS, "common.cuh")).read() + "\n" + defines
    if name is not None:   # a file of Kernels/, or a path (a saved earlier version to time beside it)
        src += open(name if os.path.sep in name else os.path.join(KERNELS, name)).read()
        name = os.path.basename(name)
    for f in lab_files:
        src += "\n" + open(os.path.join(LAB_KERNELS, f)).read()
    name = name or lab_files[0]
    prog = ctypes.c_void_p()
    assert nvrtc.nvrtcCreateProgram(ctypes.byref(prog), src.encode(), name.encode(), 0, None, None) == 0
    if arch is None:
        major, minor = torch.cuda.get_device_capability()
        arch = f"sm_{major}{minor}a" if (major, minor) == (9, 0) else f"sm_{major}{minor}"
    opts = [f"--gpu-architecture={arch}".encode(), b"--std=c++17", b"--fmad=false"]   # KernelCompiler options
    opts += [o.encode() for o in os.environ.get("NVRTC_LAB_OPTS", "").split()]   # e.g. --ptxas-options=-v
    rc = nvrtc.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*opts))
    size = ctypes.c_size_t()
    nvrtc.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    nvrtc.nvrtcGetProgramLog(prog, log)
    if rc != 0 or log.value.strip():
        print(f"{name}: NVRTC rc={rc}\n{log.value.decode()}")
        if rc != 0:
            sys.exit(1)
    if os.environ.get("NVRTC_LAB_PTX"):   # a folder to keep the PTX in (arch-specific targets still emit it)
        psize = ctypes.c_size_t()
        if nvrtc.nvrtcGetPTXSize(prog, ctypes.byref(psize)) == 0:
            ptx = ctypes.create_string_buffer(psize.value)
            nvrtc.nvrtcGetPTX(prog, ptx)
            with open(os.path.join(os.environ["NVRTC_LAB_PTX"], name + ".ptx"), "w") as f:
                f.write(ptx.value.decode())
    nvrtc.nvrtcGetCUBINSize(prog, ctypes.byref(size))
    cubin = ctypes.create_string_buffer(size.value)
    nvrtc.nvrtcGetCUBIN(prog, cubin)
    if os.environ.get("NVRTC_LAB_CUBINS"):   # a folder to keep the cubins in, for cuobjdump -sass
        with open(os.path.join(os.environ["NVRTC_LAB_CUBINS"], name + ".cubin"), "wb") as f:
            f.write(cubin.raw)
    mod = ctypes.c_void_p()
    ok(cu.cuModuleLoadData(ctypes.byref(mod), cubin), f"cuModuleLoadData {name}")
    return mod


def func(mod, name, max_shared=0):
    f = ctypes.c_void_p()
    ok(cu.cuModuleGetFunction(ctypes.byref(f), mod, name.encode()), name)
    if max_shared > 48 * 1024:
        ok(cu.cuFuncSetAttribute(f, 8, ctypes.c_int(max_shared)), "cuFuncSetAttribute")   # MAX_DYNAMIC_SHARED_SIZE_BYTES
    return f


def regs(f):
    """(registers per thread, local bytes per thread) of a loaded function."""
    r, local = ctypes.c_int(), ctypes.c_int()
    cu.cuFuncGetAttribute(ctypes.byref(r), 4, f)       # NUM_REGS
    cu.cuFuncGetAttribute(ctypes.byref(local), 3, f)   # LOCAL_SIZE_BYTES
    return r.value, local.value


def timed(fn, reps):
    """Seconds per call of fn on torch's current stream: one warm-up call, then reps calls between two events."""
    fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / reps * 1e-3


class I64(int):
    """A launch argument passed as a 64-bit integer."""


def launch(f, grid, block, shared, *args):
    if shared > 48 * 1024:
        ok(cu.cuFuncSetAttribute(f, 8, ctypes.c_int(shared)), "cuFuncSetAttribute")
    held = []
    for a in args:
        if isinstance(a, torch.Tensor):
            held.append(ctypes.c_void_p(a.data_ptr()))
        elif a is None:
            held.append(ctypes.c_void_p(0))
        elif isinstance(a, float):
            held.append(ctypes.c_float(a))
        elif isinstance(a, I64):
            held.append(ctypes.c_longlong(a))
        else:
            held.append(ctypes.c_int(a))
    params = (ctypes.c_void_p * len(held))(*[ctypes.cast(ctypes.byref(h), ctypes.c_void_p) for h in held])
    g = tuple(grid) + (1,) * (3 - len(grid))
    b = tuple(block) + (1,) * (3 - len(block))
    ok(cu.cuLaunchKernel(f, *g, *b, shared, ctypes.c_void_p(torch.cuda.current_stream().cuda_stream), params, None),
       "cuLaunchKernel")


torch.zeros(1, device="cuda")
ok(cu.cuInit(0), "cuInit")
