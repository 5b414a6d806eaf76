using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Compute;

/// <summary>Resident tensors whose values are bf16, kept as the device prefers (<see cref="IComputeDevice.Bf16StorageType"/>).</summary>
public static class Bf16Storage
{
    /// <summary>
    /// A new buffer of the device's <see cref="IComputeDevice.Bf16StorageType"/> holding <paramref name="values"/>
    /// (bf16 values): F32 as they are, or BF16 as their bits, exactly.
    /// </summary>
    public static DeviceBuffer Upload(IComputeDevice device, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(device);
        var type = device.Bf16StorageType;
        var buffer = device.Allocate(type, values.Length);
        try
        {
            if (type == DType.BF16)
            {
                var bits = new ushort[values.Length];
                BFloat16Math.FromFloat(values, bits);
                device.Upload<ushort>(bits, buffer);
            }
            else
                device.Upload(values, buffer);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }
}
