namespace SeekSharp.Core.Compute.Lockstep;

/// <summary>
/// How far the candidate device's output of one op call was from the reference's, given identical inputs.
/// Floats: <see cref="NormalisedError"/> = max|Δ| / max|reference| over the output buffer (∞ when only one side is NaN).
/// Integers and codes: <see cref="Mismatches"/> elements differ.
/// </summary>
public sealed record OpDiscrepancy(long Call, string Op, string Output, DType DType, long Length, double NormalisedError, long Mismatches)
{
    public override string ToString() => DType == DType.F32
        ? $"#{Call} {Op}.{Output} F32[{Length}]: normalised error {NormalisedError:G3}"
        : $"#{Call} {Op}.{Output} {DType}[{Length}]: {Mismatches} mismatches";
}
