namespace SeekSharp.Core.Backend;

/// <summary>Argument checks shared by backends, run before any work; a shape mistake names the weight.</summary>
public static class BackendChecks
{
    /// <summary>Checks the operands of y[rows, Out] = x[rows, In] · Wᵀ (spans may be longer than needed).</summary>
    public static void Linear(LinearWeight w, ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (x.Length < (long)rows * w.In)
            throw new ArgumentException($"{w.Name}: x holds {x.Length} values, needs {rows} × {w.In}", nameof(x));
        if (y.Length < (long)rows * w.Out)
            throw new ArgumentException($"{w.Name}: y holds {y.Length} values, needs {rows} × {w.Out}", nameof(y));
    }
}
