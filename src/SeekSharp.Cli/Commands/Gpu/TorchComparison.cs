using System.Text.Json;

namespace SeekSharp.Cli.Commands.Gpu;

/// <summary>
/// Reads torch_dsa_bench.py's --json output and pairs its rows with ours: PyTorch's "indexer" (scores + top-k) with our
/// index_scores + topk, "sparse_bmm" with sparse_mla, the best of step_graph / step_eager with our step, and its
/// step_graph with ours.
/// </summary>
public static class TorchComparison
{
    public sealed record Pair(string Phase, int Batch, int Context, string Ours, double OursMs, string Torch, double TorchMs)
    {
        /// <summary>PyTorch time / ours: above 1 we are faster.</summary>
        public double Speedup => TorchMs / OursMs;
    }

    public static List<Pair> Compare(IReadOnlyList<DsaBenchRow> ours, string torchJsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(torchJsonPath));
        var torch = new Dictionary<(string, int, int, string), double>();
        foreach (var row in doc.RootElement.GetProperty("rows").EnumerateArray())
        {
            if (row.GetProperty("ms").ValueKind != JsonValueKind.Number) continue;
            torch[(row.GetProperty("phase").GetString()!, row.GetProperty("B").GetInt32(), row.GetProperty("L").GetInt32(),
                row.GetProperty("op").GetString()!)] = row.GetProperty("ms").GetDouble();
        }

        var pairs = new List<Pair>();
        foreach (var group in ours.GroupBy(r => (r.Phase, r.Batch, r.Context)))
        {
            var (phase, b, l) = group.Key;
            var mine = group.ToDictionary(r => r.Op, r => r.Ms);
            double? Torch(string op) => torch.TryGetValue((phase, b, l, op), out var ms) ? ms : null;
            if (mine.TryGetValue("index_scores", out var s) && mine.TryGetValue("topk", out var t) && Torch("indexer") is { } ti)
                pairs.Add(new(phase, b, l, "index_scores+topk", s + t, "indexer", ti));
            if (mine.TryGetValue("sparse_mla", out var m))
            {
                var name = phase == "decode" ? "sparse_bmm" : "sparse";
                if (Torch(name) is { } tm) pairs.Add(new(phase, b, l, "sparse_mla", m, name, tm));
            }
            if (mine.TryGetValue("step", out var st))
            {
                var best = new[] { "step_graph", "step_eager" }.Select(op => (op, ms: Torch(op))).Where(x => x.ms is not null)
                    .OrderBy(x => x.ms).FirstOrDefault();
                if (best.ms is { } bm) pairs.Add(new(phase, b, l, "step", st, best.op, bm));
            }
            if (mine.TryGetValue("step_graph", out var sg) && (Torch("step_graph") ?? Torch("step_eager")) is { } tg)
                pairs.Add(new(phase, b, l, "step_graph", sg, Torch("step_graph") is null ? "step_eager" : "step_graph", tg));
        }
        return pairs;
    }
}
