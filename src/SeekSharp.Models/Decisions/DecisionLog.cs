namespace SeekSharp.Models.Decisions;

/// <summary>
/// The discrete decisions of a forward pass, keyed by absolute token position: per layer the indexer's
/// selected key positions and per MoE layer the router's experts. Recording them and forcing them back
/// is how golden tests compare continuous outputs, and it is the "keep routing" mechanism for RL.
/// Row t holds the decisions made for the query at position t (prefill or decode alike).
/// </summary>
public sealed class DecisionLog
{
    private readonly Dictionary<int, int[]> _topk = new();      // position -> [layers, IndexTopk], -1 padded
    private readonly Dictionary<int, int[]> _routing = new();   // position -> [moeLayers, ExpertsPerToken]

    public DecisionLog(int layers, int indexTopk, int moeLayers, int expertsPerToken)
    {
        if (layers <= 0 || indexTopk <= 0 || moeLayers < 0 || expertsPerToken <= 0)
            throw new ArgumentException("decision log dimensions must be positive");
        Layers = layers;
        IndexTopk = indexTopk;
        MoeLayers = moeLayers;
        ExpertsPerToken = expertsPerToken;
    }

    public int Layers { get; }
    public int IndexTopk { get; }
    public int MoeLayers { get; }
    public int ExpertsPerToken { get; }

    /// <summary>Positions that have any recorded decision, ascending.</summary>
    public IReadOnlyList<int> Positions => _topk.Keys.Union(_routing.Keys).Order().ToArray();

    /// <summary>Stores the key set of (position, layer); stored sorted ascending, -1 padded to IndexTopk.</summary>
    public void SetTopk(int position, int layer, ReadOnlySpan<int> keys)
    {
        if ((uint)layer >= (uint)Layers) throw new ArgumentOutOfRangeException(nameof(layer));
        if (keys.Length > IndexTopk)
            throw new ArgumentException($"{keys.Length} keys exceed index_topk {IndexTopk} at position {position}, layer {layer}");
        var row = Row(_topk, position, Layers * IndexTopk);
        var slot = row.AsSpan(layer * IndexTopk, IndexTopk);
        slot.Fill(-1);
        keys.CopyTo(slot);
        slot[..keys.Length].Sort();
    }

    /// <summary>The recorded key set of (position, layer) without padding, or false when none was recorded.</summary>
    public bool TryGetTopk(int position, int layer, out ReadOnlySpan<int> keys)
    {
        keys = default;
        if (!_topk.TryGetValue(position, out var row)) return false;
        var slot = row.AsSpan(layer * IndexTopk, IndexTopk);
        var n = slot.IndexOf(-1);
        if (n == 0) return false;
        keys = n < 0 ? slot : slot[..n];
        return true;
    }

    /// <summary>Stores the experts of (position, moeLayer); stored sorted ascending.</summary>
    public void SetRouting(int position, int moeLayer, ReadOnlySpan<int> experts)
    {
        if ((uint)moeLayer >= (uint)MoeLayers) throw new ArgumentOutOfRangeException(nameof(moeLayer));
        if (experts.Length != ExpertsPerToken)
            throw new ArgumentException($"expected {ExpertsPerToken} experts at position {position}, MoE layer {moeLayer}, got {experts.Length}");
        var row = Row(_routing, position, MoeLayers * ExpertsPerToken);
        var slot = row.AsSpan(moeLayer * ExpertsPerToken, ExpertsPerToken);
        experts.CopyTo(slot);
        slot.Sort();
    }

    public bool TryGetRouting(int position, int moeLayer, out ReadOnlySpan<int> experts)
    {
        experts = default;
        if (!_routing.TryGetValue(position, out var row)) return false;
        var slot = row.AsSpan(moeLayer * ExpertsPerToken, ExpertsPerToken);
        if (slot[0] < 0) return false;
        experts = slot;
        return true;
    }

    /// <summary>Dense [positions, layers, IndexTopk] copy for positions first..first+count-1 (missing rows all -1).</summary>
    public int[] TopkRows(int first, int count) => Rows(_topk, first, count, Layers * IndexTopk);

    /// <summary>Dense [positions, moeLayers, ExpertsPerToken] copy (missing rows all -1).</summary>
    public int[] RoutingRows(int first, int count) => Rows(_routing, first, count, MoeLayers * ExpertsPerToken);

    /// <summary>Loads dense rows (as <see cref="TopkRows"/> produces) for positions first.., skipping all -1 rows.</summary>
    public void SetTopkRows(int first, ReadOnlySpan<int> rows)
    {
        var width = Layers * IndexTopk;
        if (rows.Length % width != 0) throw new ArgumentException($"topk rows length {rows.Length} is not a multiple of layers×index_topk = {width}");
        for (var r = 0; r < rows.Length / width; r++)
        {
            var row = rows.Slice(r * width, width);
            if (row.IndexOfAnyExcept(-1) < 0) continue;
            for (var l = 0; l < Layers; l++)
            {
                var slot = row.Slice(l * IndexTopk, IndexTopk);
                var n = slot.IndexOf(-1);
                SetTopk(first + r, l, n < 0 ? slot : slot[..n]);
            }
        }
    }

    public void SetRoutingRows(int first, ReadOnlySpan<int> rows)
    {
        var width = MoeLayers * ExpertsPerToken;
        if (width == 0) return;
        if (rows.Length % width != 0) throw new ArgumentException($"routing rows length {rows.Length} is not a multiple of moe_layers×experts_per_tok = {width}");
        for (var r = 0; r < rows.Length / width; r++)
        {
            var row = rows.Slice(r * width, width);
            if (row.IndexOfAnyExcept(-1) < 0) continue;
            for (var l = 0; l < MoeLayers; l++)
                SetRouting(first + r, l, row.Slice(l * ExpertsPerToken, ExpertsPerToken));
        }
    }

    private static int[] Row(Dictionary<int, int[]> map, int position, int width)
    {
        if (position < 0) throw new ArgumentOutOfRangeException(nameof(position));
        if (!map.TryGetValue(position, out var row))
        {
            row = new int[width];
            row.AsSpan().Fill(-1);
            map[position] = row;
        }
        return row;
    }

    private static int[] Rows(Dictionary<int, int[]> map, int first, int count, int width)
    {
        var result = new int[count * width];
        result.AsSpan().Fill(-1);
        for (var i = 0; i < count; i++)
            if (map.TryGetValue(first + i, out var row)) row.CopyTo(result, i * width);
        return result;
    }
}
