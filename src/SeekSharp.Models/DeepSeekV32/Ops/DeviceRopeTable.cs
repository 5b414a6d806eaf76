using SeekSharp.Core;
using SeekSharp.Core.Compute;

namespace SeekSharp.Models.DeepSeekV32.Ops;

/// <summary>
/// The rotary cos/sin tables of a <see cref="RopeTable"/> mirrored on the compute device as F32 [positions, rotary/2],
/// grown (re-uploaded) when a forward call reaches past them.
/// </summary>
public sealed class DeviceRopeTable(IComputeDevice device, RopeTable table) : IDisposable
{
    private int _positions;

    public RopeTable Table { get; } = table;
    public DeviceBuffer? Cos { get; private set; }
    public DeviceBuffer? Sin { get; private set; }

    /// <summary>Counts the times the tables moved to new buffers (what a recorded graph that read the old ones must know).</summary>
    public int Generation { get; private set; }

    /// <summary>Makes positions [0, positions) available on the device.</summary>
    public void Ensure(int positions)
    {
        if (positions <= _positions) return;
        var target = Math.Max(positions, Math.Max(256, _positions * 2));
        var half = Table.RotaryDim / 2;
        var cos = new float[target * half];
        var sin = new float[target * half];
        for (var p = 0; p < target; p++)
        {
            Table.Cos(p).CopyTo(cos.AsSpan(p * half, half));
            Table.Sin(p).CopyTo(sin.AsSpan(p * half, half));
        }
        Release();
        Cos = device.Allocate(DType.F32, cos.Length);
        Sin = device.Allocate(DType.F32, sin.Length);
        device.Upload<float>(cos, Cos);
        device.Upload<float>(sin, Sin);
        _positions = target;
        Generation++;
    }

    /// <summary>Rotates the rows of x in place (see <see cref="IComputeDevice.Rope"/>).</summary>
    public void Apply(MatrixView x, int rowsPerPosition, int startPos, RopeLayout layout) =>
        device.Rope(x, rowsPerPosition, startPos, Cos!, Sin!, layout);

    /// <summary>Rotates the rows of x in place, row r at positions[r / rowsPerPosition] (see <see cref="IComputeDevice.RopeAt"/>).</summary>
    public void ApplyAt(MatrixView x, int rowsPerPosition, DeviceBuffer positions, RopeLayout layout) =>
        device.RopeAt(x, rowsPerPosition, positions, Cos!, Sin!, layout);

    private void Release()
    {
        Cos?.Dispose();
        Sin?.Dispose();
    }

    public void Dispose() => Release();
}
