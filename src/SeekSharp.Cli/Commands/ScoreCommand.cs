using System.CommandLine;
using SeekSharp.IO.Npy;
using SeekSharp.Models.Decisions;

namespace SeekSharp.Cli.Commands;

/// <summary>`seek score`: teacher-forced logits of a token sequence, optionally through the decode path.</summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var model = ModelCommandOptions.Model();
        var ids = new Option<string>("--ids") { Description = "Token ids, e.g. \"0 5 9\"", Required = true };
        var output = new Option<string>("--logits-out") { Description = "float32 .npy output [rows, vocab]", Required = true };
        var decodeFrom = new Option<int?>("--decode-from")
        {
            Description = "Prefill the first P tokens, then feed the rest one at a time; rows are positions P-1..T-1",
        };
        var record = new Option<string?>("--record") { Description = "Write the decisions made (top-k sets, experts) to this safetensors file" };
        var replay = new Option<string?>("--replay") { Description = "Force the decisions in this safetensors file" };
        var device = ModelCommandOptions.Device();
        var threads = ModelCommandOptions.Threads();
        var indexTopk = ModelCommandOptions.IndexTopk();

        var command = new Command("score", "Teacher-forced logits as a NumPy file") { model, ids, output, decodeFrom, record, replay, device, threads, indexTopk };
        command.SetAction(r => CliRunner.Run(() =>
        {
            var tokens = ModelCommandOptions.ParseIds(r.GetValue(ids)!, "--ids");
            var p = r.GetValue(decodeFrom);
            if (p is { } prefix && (prefix < 1 || prefix > tokens.Length))
                throw new CliUsageException($"--decode-from {prefix}: must be between 1 and the number of tokens ({tokens.Length})");

            using var m = ModelCommandOptions.LoadModel(r.GetValue(model)!, ModelCommandOptions.CreateDevice(r.GetValue(device)!, r.GetValue(threads)), r.GetValue(indexTopk));
            var forced = r.GetValue(replay) is { } replayPath ? DecisionLogFile.Load(replayPath, m.NewDecisionLog()) : null;
            var recorded = r.GetValue(record) is not null ? m.NewDecisionLog() : null;

            var logits = m.Score(tokens, p, forced, recorded);
            var vocab = m.Config.VocabSize;
            NpyFile.WriteFloat32(r.GetValue(output)!, logits, logits.Length / vocab, vocab);
            if (recorded is not null) DecisionLogFile.Save(recorded, tokens.Length, r.GetValue(record)!);
            Console.Error.WriteLine($"wrote {logits.Length / vocab} rows × {vocab} logits to {r.GetValue(output)}");
            return 0;
        }));
        return command;
    }
}
