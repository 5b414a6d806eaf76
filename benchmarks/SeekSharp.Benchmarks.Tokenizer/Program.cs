using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SeekSharp.Benchmarks.Tokenizer;
using SeekSharp.IO.Tokenization;
using SeekSharp.Testing;

// Encode throughput of DeepSeekTokenizer, single thread: every corpus document encoded on its own
// (add_special_tokens=false), warm-up run first, then best and median of the timed runs.
// Not a test: run with `dotnet run -c Release --project benchmarks/SeekSharp.Benchmarks.Tokenizer`.
// Options: --tokenizer FILE  --corpus FILE (generated when absent)  --regenerate  --target-mb N  --runs N
var options = Options.Parse(args);
if (options.Regenerate || !File.Exists(options.Corpus))
    CorpusGenerator.Write(SharedData.Path("golden", "tokenizer", "cases.jsonl"), options.Corpus, options.TargetMegabytes);

var documents = File.ReadLines(options.Corpus).Where(l => l.Length > 0)
    .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)
    .ToArray();
var corpusBytes = documents.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
var tokenizer = DeepSeekTokenizer.Load(options.Tokenizer);
var ids = new List<int>(1 << 16);

// Warm-up (JIT, BPE cache) and the checksum that the HF script prints too.
var (tokens, checksum) = EncodeAll(tokenizer, documents, ids, withChecksum: true);
var seconds = new List<double>();
for (var run = 0; run < options.Runs; run++)
{
    var watch = Stopwatch.StartNew();
    EncodeAll(tokenizer, documents, ids, withChecksum: false);
    seconds.Add(watch.Elapsed.TotalSeconds);
}
seconds.Sort();
double MegabytesPerSecond(double s) => corpusBytes / 1e6 / s;

var report = new
{
    implementation = "SeekSharp DeepSeekTokenizer",
    mode = "one encode per corpus document, add_special_tokens=false, single thread",
    tokenizer = options.Tokenizer,
    corpus = options.Corpus,
    documents = documents.Length,
    corpus_bytes = corpusBytes,
    tokens,
    ids_fnv1a64 = checksum.ToString("x16"),
    runs = options.Runs,
    run_seconds = seconds,
    best_mb_per_s = Math.Round(MegabytesPerSecond(seconds[0]), 3),
    median_mb_per_s = Math.Round(MegabytesPerSecond(seconds[seconds.Count / 2]), 3),
};
Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
return 0;

static (long Tokens, ulong Checksum) EncodeAll(DeepSeekTokenizer tokenizer, string[] documents, List<int> ids, bool withChecksum)
{
    long tokens = 0;
    var hash = 0xcbf29ce484222325UL;
    foreach (var document in documents)
    {
        ids.Clear();
        tokenizer.EncodeInto(document, ids);
        tokens += ids.Count;
        if (!withChecksum) continue;
        foreach (var id in ids) hash = Fnv1a(hash, (uint)id);
    }
    return (tokens, hash);
}

// FNV-1a over each id's 4 little-endian bytes (the same in hf_tokenizer_bench.py).
static ulong Fnv1a(ulong hash, uint id)
{
    for (var i = 0; i < 4; i++)
    {
        hash ^= (id >> (8 * i)) & 0xFF;
        hash *= 0x100000001b3UL;
    }
    return hash;
}
