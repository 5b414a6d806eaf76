using System.Globalization;
using SeekSharp.Testing;

namespace SeekSharp.Benchmarks.Tokenizer;

internal sealed record Options(string Tokenizer, string Corpus, bool Regenerate, double TargetMegabytes, int Runs)
{
    public static Options Parse(string[] args)
    {
        var tokenizer = SharedData.Path("golden", "tokenizer", "tokenizer.json");
        var corpus = Path.Combine(RepositoryRoot(), "artifacts", "tokenizer-bench", "corpus.jsonl");
        var regenerate = false;
        var targetMegabytes = 8.0;
        var runs = 5;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--tokenizer": tokenizer = Value(); break;
                case "--corpus": corpus = Value(); break;
                case "--regenerate": regenerate = true; break;
                case "--target-mb": targetMegabytes = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--runs": runs = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return new Options(tokenizer, corpus, regenerate, targetMegabytes, Math.Max(1, runs));
    }

    // The folder holding SeekSharp.slnx, so the corpus lands in the git-ignored /artifacts/.
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SeekSharp.slnx"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
