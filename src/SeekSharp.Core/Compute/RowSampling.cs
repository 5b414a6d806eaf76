namespace SeekSharp.Core.Compute;

/// <summary>
/// How <see cref="IComputeDevice.SampleRows"/> draws one row's token. Temperature 0 is greedy. <paramref name="Seed"/> and
/// <paramref name="Counter"/> (e.g. the position being generated) pick the noise, so a request replays exactly.
/// </summary>
public readonly record struct RowSampling(float Temperature, float TopP = 1f, int TopK = 0, ulong Seed = 0, ulong Counter = 0)
{
    public static RowSampling Greedy => new(0f);
}
