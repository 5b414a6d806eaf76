using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda;

/// <summary>A <see cref="DeviceBuffer"/> in GPU memory, served by the device's <see cref="CachingAllocator"/>.</summary>
public sealed class CudaBuffer : DeviceBuffer
{
    private readonly CachingAllocator _allocator;
    private readonly DeviceBlock _block;

    internal CudaBuffer(CachingAllocator allocator, DType dtype, long length) : base(dtype, length)
    {
        _allocator = allocator;
        _block = allocator.Allocate(length * dtype.SizeOf());
    }

    /// <summary>CUdeviceptr of element 0.</summary>
    public nint Pointer => _block.Pointer;

    /// <summary>CUdeviceptr of element <paramref name="elementOffset"/>.</summary>
    public nint At(long elementOffset) => _block.Pointer + (nint)(elementOffset * DType.SizeOf());

    protected override void Release() => _allocator.Free(_block);
}
