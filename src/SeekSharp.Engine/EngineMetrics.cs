namespace SeekSharp.Engine;

/// <summary>Engine counters since start (monotonic unless said otherwise).</summary>
/// <param name="Waiting">Requests queued, not yet scheduled (gauge).</param>
/// <param name="Running">Requests holding cache blocks (gauge).</param>
/// <param name="KvBlocksUsed">Blocks held by running requests or kept by the prefix cache (gauge).</param>
/// <param name="KvBlocksTotal">Blocks in the pool (gauge).</param>
/// <param name="PrefixQueriedTokens">Prompt tokens looked up in the prefix cache.</param>
/// <param name="PrefixHitTokens">Of those, tokens found (hit rate = hit / queried).</param>
public sealed record EngineMetrics(
    int Waiting,
    int Running,
    int KvBlocksUsed,
    int KvBlocksTotal,
    long RequestsFinished,
    long PromptTokens,
    long GeneratedTokens,
    long PrefixQueriedTokens,
    long PrefixHitTokens,
    long Preemptions,
    long Steps)
{
    public double PrefixHitRate => PrefixQueriedTokens == 0 ? 0 : (double)PrefixHitTokens / PrefixQueriedTokens;
}
