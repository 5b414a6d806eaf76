using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Compute.Host;

namespace SeekSharp.OpTests;

/// <summary>
/// Every <see cref="IComputeDevice"/> op, written once: a backend's test project derives a concrete class that
/// supplies its device; each test runs the op on that device and on the C# reference (<see cref="HostDevice"/> over the
/// scalar <see cref="ScalarBackend"/>) with the same seeded operands and compares.
/// Tolerances: exact for data movement, integer results and quantisation codes; for bf16-rounded results of fp32
/// reductions, a normalised error max|Δ|/max|ref| of 1/128 (one bf16 rounding step of the largest value: summation
/// order may flip a rounding); for fp32 results of reductions, 1e-4 normalised.
/// </summary>
public abstract partial class DeviceOpTests : IDisposable
{
    protected const double Bf16Tolerance = 1.0 / 128;
    protected const double Fp32Tolerance = 1e-4;

    private readonly List<IDisposable> _owned = [];
    private IComputeDevice? _device;

    protected IComputeDevice Reference { get; } = new HostDevice(new ScalarBackend(), ownsBackend: true);

    /// <summary>The device under test (shared across tests by the derived class; not disposed here).</summary>
    protected abstract IComputeDevice CreateDevice();

    /// <summary>Why the device cannot run here (the tests are skipped with this reason), or null.</summary>
    protected virtual string? Unavailable => null;

    protected IComputeDevice Device
    {
        get
        {
            if (Unavailable is { } reason) Assert.Skip(reason);
            return _device ??= CreateDevice();
        }
    }

    /// <summary>The same host values in a buffer on the device under test and on the reference.</summary>
    protected (DeviceBuffer Dev, DeviceBuffer Ref) Pair<T>(DType dtype, T[] values) where T : unmanaged
    {
        var dev = Own(Device.Allocate(dtype, values.Length));
        var reference = Own(Reference.Allocate(dtype, values.Length));
        Device.Upload<T>(values, dev);
        Reference.Upload<T>(values, reference);
        return (dev, reference);
    }

    protected (DeviceBuffer Dev, DeviceBuffer Ref) Floats(float[] values) => Pair(DType.F32, values);
    protected (DeviceBuffer Dev, DeviceBuffer Ref) Ints(int[] values) => Pair(DType.I32, values);
    protected (DeviceBuffer Dev, DeviceBuffer Ref) Bytes(byte[] values) => Pair(DType.U8, values);

    /// <summary>
    /// Resident bf16 values (latent-cache rows, wkv_b): on the device in its <see cref="IComputeDevice.Bf16StorageType"/>
    /// (<see cref="Bf16Storage"/>; BF16 holds the same values as bits) or, with <paramref name="deviceStorage"/> false, as
    /// F32; on the reference as F32.
    /// </summary>
    protected (DeviceBuffer Dev, DeviceBuffer Ref) Bf16Values(float[] values, bool deviceStorage = true)
    {
        if (!deviceStorage) return Floats(values);
        var dev = Own(Bf16Storage.Upload(Device, values));
        var reference = Own(Reference.Allocate(DType.F32, values.Length));
        Reference.Upload<float>(values, reference);
        return (dev, reference);
    }

    protected (DeviceBuffer Dev, DeviceBuffer Ref) Zeros(DType dtype, long length) =>
        (Own(Device.Allocate(dtype, length)), Own(Reference.Allocate(dtype, length)));

    protected (DeviceLinear Dev, DeviceLinear Ref) Weights(LinearWeight w) => (Own(Device.UploadLinear(w)), Own(Reference.UploadLinear(w)));

    protected static T[] Read<T>(IComputeDevice device, DeviceBuffer buffer) where T : unmanaged
    {
        var values = new T[buffer.Length];
        device.Download<T>(buffer, 0, values);
        return values;
    }

    protected float[] ReadDev(DeviceBuffer b) => Read<float>(Device, b);
    protected float[] ReadRef(DeviceBuffer b) => Read<float>(Reference, b);

    /// <summary>Both float buffers agree within a normalised tolerance; ±inf and NaN must sit at the same places.</summary>
    protected void AssertClose((DeviceBuffer Dev, DeviceBuffer Ref) pair, double tolerance, string what) =>
        AssertClose(ReadRef(pair.Ref), ReadDev(pair.Dev), tolerance, what);

    protected static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0, worst = 0;
        var worstAt = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            if (!float.IsFinite(expected[i]) || !float.IsFinite(actual[i]))
            {
                Assert.True(expected[i].Equals(actual[i]), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
                continue;
            }
            scale = Math.Max(scale, Math.Abs(expected[i]));
            var diff = Math.Abs((double)expected[i] - actual[i]);
            if (diff > worst) { worst = diff; worstAt = i; }
        }
        var normalised = worst / Math.Max(scale, 1e-30);
        Assert.True(normalised <= tolerance,
            $"{what}: normalised error {normalised:G3} > {tolerance:G3} (max |Δ| {worst:G3} at {worstAt}: expected {(worstAt >= 0 ? expected[worstAt] : 0)}, got {(worstAt >= 0 ? actual[worstAt] : 0)}; max |ref| {scale:G3})");
    }

    protected void AssertEqual<T>((DeviceBuffer Dev, DeviceBuffer Ref) pair, string what) where T : unmanaged, IEquatable<T>
    {
        var expected = Read<T>(Reference, pair.Ref);
        var actual = Read<T>(Device, pair.Dev);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(expected[i].Equals(actual[i]), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    protected T Own<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }

    public void Dispose()
    {
        foreach (var item in _owned) item.Dispose();
        Reference.Dispose();
        GC.SuppressFinalize(this);
    }
}
