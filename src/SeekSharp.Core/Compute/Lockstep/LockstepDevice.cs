using SeekSharp.Core.Backend;

namespace SeekSharp.Core.Compute.Lockstep;

/// <summary>
/// Runs every op on a reference device and a candidate device side by side (e.g. CPU and CUDA), compares each op's
/// outputs right after the op, reports the difference, then copies the reference's result over the candidate's so the
/// next op starts from identical inputs. A whole forward pass thus checks every kernel at the model's real shapes and
/// data, one op at a time, without differences compounding — the tool for finding the first op that disagrees.
/// Slow (every output is downloaded twice); for tests and debugging only.
/// </summary>
public sealed partial class LockstepDevice(IComputeDevice reference, IComputeDevice candidate, bool ownsDevices = false) : IComputeDevice
{
    private readonly List<OpDiscrepancy> _discrepancies = [];
    private long _calls;

    public string Name => $"lockstep({reference.Name} | {candidate.Name})";

    public IComputeDevice Reference => reference;
    public IComputeDevice Candidate => candidate;

    /// <summary>One entry per output of every op call so far, in call order.</summary>
    public IReadOnlyList<OpDiscrepancy> Discrepancies => _discrepancies;

    public DeviceBuffer Allocate(DType dtype, long length) => new LockstepBuffer(reference.Allocate(dtype, length), candidate.Allocate(dtype, length));

    public void Upload<T>(ReadOnlySpan<T> source, DeviceBuffer destination, long offset = 0) where T : unmanaged
    {
        var d = L(destination);
        reference.Upload(source, d.Reference, offset);
        candidate.Upload(source, d.Candidate, offset);
    }

    /// <summary>Downloads the reference's values (the candidate's were compared when they were written).</summary>
    public void Download<T>(DeviceBuffer source, long offset, Span<T> destination) where T : unmanaged =>
        reference.Download(L(source).Reference, offset, destination);

    public void Copy(DeviceBuffer source, long sourceOffset, DeviceBuffer destination, long destinationOffset, long count)
    {
        reference.Copy(L(source).Reference, sourceOffset, L(destination).Reference, destinationOffset, count);
        candidate.Copy(L(source).Candidate, sourceOffset, L(destination).Candidate, destinationOffset, count);
        Compare("copy", ("destination", destination));
    }

    public void CopyRows(MatrixView source, MatrixView destination)
    {
        reference.CopyRows(R(source), R(destination));
        candidate.CopyRows(C(source), C(destination));
        Compare("copy_rows", ("destination", destination.Buffer));
    }

    public DeviceLinear UploadLinear(LinearWeight weight) => new LockstepLinear(reference.UploadLinear(weight), candidate.UploadLinear(weight));

    public void Synchronize()
    {
        reference.Synchronize();
        candidate.Synchronize();
    }

    public void Dispose()
    {
        if (!ownsDevices) return;
        reference.Dispose();
        candidate.Dispose();
    }

    private static LockstepBuffer L(DeviceBuffer buffer) =>
        buffer as LockstepBuffer ?? throw new ArgumentException($"{buffer} was not allocated by this lockstep device");

    private static DeviceBuffer R(DeviceBuffer buffer) => L(buffer).Reference;
    private static DeviceBuffer C(DeviceBuffer buffer) => L(buffer).Candidate;
    private static DeviceBuffer? R0(DeviceBuffer? buffer) => buffer is null ? null : L(buffer).Reference;
    private static DeviceBuffer? C0(DeviceBuffer? buffer) => buffer is null ? null : L(buffer).Candidate;
    private static MatrixView R(MatrixView view) => view with { Buffer = R(view.Buffer) };
    private static MatrixView C(MatrixView view) => view with { Buffer = C(view.Buffer) };
    private static DeviceLinear R(DeviceLinear linear) => ((LockstepLinear)linear).Reference;
    private static DeviceLinear C(DeviceLinear linear) => ((LockstepLinear)linear).Candidate;

    /// <summary>Records how each written buffer differs, then makes the candidate's copy equal to the reference's.</summary>
    private void Compare(string op, params (string Name, DeviceBuffer Buffer)[] outputs)
    {
        var call = _calls++;
        foreach (var (name, buffer) in outputs)
        {
            var b = L(buffer);
            switch (b.DType)
            {
                case DType.F32:
                {
                    var e = new float[b.Length];
                    var a = new float[b.Length];
                    reference.Download<float>(b.Reference, 0, e);
                    candidate.Download<float>(b.Candidate, 0, a);
                    double maxRef = 0, maxDiff = 0;
                    for (var i = 0; i < e.Length; i++)
                    {
                        if (float.IsNaN(e[i]) != float.IsNaN(a[i]) || (float.IsInfinity(e[i]) && e[i] != a[i])) { maxDiff = double.PositiveInfinity; continue; }
                        if (!float.IsFinite(e[i])) continue;
                        maxRef = Math.Max(maxRef, Math.Abs(e[i]));
                        maxDiff = Math.Max(maxDiff, Math.Abs((double)e[i] - a[i]));
                    }
                    _discrepancies.Add(new(call, op, name, b.DType, b.Length, maxDiff == 0 ? 0 : maxDiff / Math.Max(maxRef, 1e-30), 0));
                    candidate.Upload<float>(e, b.Candidate);
                    break;
                }
                case DType.I32:
                {
                    var e = new int[b.Length];
                    var a = new int[b.Length];
                    reference.Download<int>(b.Reference, 0, e);
                    candidate.Download<int>(b.Candidate, 0, a);
                    _discrepancies.Add(new(call, op, name, b.DType, b.Length, 0, Count(e, a)));
                    candidate.Upload<int>(e, b.Candidate);
                    break;
                }
                default:
                {
                    var e = new byte[b.ByteSize];
                    var a = new byte[b.ByteSize];
                    reference.Download<byte>(b.Reference, 0, e);
                    candidate.Download<byte>(b.Candidate, 0, a);
                    _discrepancies.Add(new(call, op, name, b.DType, b.Length, 0, Count(e, a)));
                    candidate.Upload<byte>(e, b.Candidate);
                    break;
                }
            }
        }
    }

    private static long Count<T>(T[] e, T[] a) where T : IEquatable<T>
    {
        long n = 0;
        for (var i = 0; i < e.Length; i++) if (!e[i].Equals(a[i])) n++;
        return n;
    }
}
