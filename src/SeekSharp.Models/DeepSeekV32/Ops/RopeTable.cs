using SeekSharp.Core.Numerics;
using SeekSharp.IO.Config;

namespace SeekSharp.Models.DeepSeekV32.Ops;

/// <summary>
/// cos/sin of the (YaRN-blended) rotary angles per position, shared by MLA and the indexer (both rotate 64 dims).
/// Grown on demand so a 163,840-position model does not pay for positions it never sees.
/// </summary>
public sealed class RopeTable
{
    private readonly float[] _invFreq;        // [rotary/2]
    private readonly object _growLock = new();
    private float[] _cos = [];                // [positions, rotary/2]
    private float[] _sin = [];
    private int _positions;

    public RopeTable(DeepSeekConfig config)
    {
        RotaryDim = config.QkRopeHeadDim;
        var yarn = config.RopeScaling;
        ApplyYarn = yarn is not null && yarn.Factor > 1 && config.MaxPositionEmbeddings > yarn.OriginalMaxPositionEmbeddings;
        _invFreq = YarnRope.InverseFrequencies(RotaryDim, (float)config.RopeTheta,
            (float)(yarn?.Factor ?? 1), yarn?.OriginalMaxPositionEmbeddings ?? config.MaxPositionEmbeddings,
            (float)(yarn?.BetaFast ?? 32), (float)(yarn?.BetaSlow ?? 1), ApplyYarn);
        SoftmaxScale = YarnRope.SoftmaxScale(config.QkNopeHeadDim + config.QkRopeHeadDim,
            (float)(yarn?.Factor ?? 1), (float)(yarn?.MscaleAllDim ?? 1), ApplyYarn);
    }

    public int RotaryDim { get; }
    public bool ApplyYarn { get; }

    /// <summary>MLA softmax scale: qk_head_dim^-½ × mscale² under YaRN.</summary>
    public float SoftmaxScale { get; }

    public ReadOnlySpan<float> Cos(int position) { Ensure(position + 1); return _cos.AsSpan(position * Half, Half); }
    public ReadOnlySpan<float> Sin(int position) { Ensure(position + 1); return _sin.AsSpan(position * Half, Half); }

    private int Half => RotaryDim / 2;

    private void Ensure(int positions)
    {
        if (positions <= Volatile.Read(ref _positions)) return;
        lock (_growLock)
        {
            if (positions <= _positions) return;
            var target = Math.Max(positions, Math.Max(64, _positions * 2));
            var cos = new float[target * Half];
            var sin = new float[target * Half];
            _cos.AsSpan().CopyTo(cos);
            _sin.AsSpan().CopyTo(sin);
            for (var p = _positions; p < target; p++)
                YarnRope.CosSin(_invFreq, p, cos.AsSpan(p * Half, Half), sin.AsSpan(p * Half, Half));
            _cos = cos;
            _sin = sin;
            Volatile.Write(ref _positions, target);
        }
    }
}
