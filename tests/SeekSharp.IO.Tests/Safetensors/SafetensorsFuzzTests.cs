using SeekSharp.Core;
using SeekSharp.IO.Safetensors;

namespace SeekSharp.IO.Tests.Safetensors;

/// <summary>
/// Seeded fuzzing: every corrupted file must either load completely (every tensor readable, layout consistent)
/// or throw <see cref="CheckpointFormatException"/>. Any other exception, a hang or a crash fails the test.
/// </summary>
public sealed class SafetensorsFuzzTests : IDisposable
{
    private const int Seed = 20251128;
    private const int FileIterations = 2500;
    private const int IndexIterations = 500;

    // Written so the JIT cannot drop the reads of mapped memory.
    private static long s_checksum;

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact(Timeout = 60_000)]
    public Task MutatedFilesLoadFullyOrFailWithAFormatError() => Task.Run(() =>
    {
        var seeds = SeedFiles();
        var mutator = new FuzzMutator(Seed);
        var path = _temp.File("fuzz.safetensors");
        var failures = new List<string>();
        int accepted = 0, rejected = 0;

        for (var i = 0; i < FileIterations && failures.Count < 20; i++)
        {
            var (bytes, label, dataOnly) = mutator.MutateFile(seeds[i % seeds.Length]);
            File.WriteAllBytes(path, bytes);
            var context = $"iteration {i}, seed file {i % seeds.Length}, {label}";

            var loaded = TryLoadEverything(path, bytes.Length, context, failures);
            var headerLoaded = TryReadHeader(path, context, failures);
            if (loaded != headerLoaded) failures.Add($"{context}: mapping reader says {loaded}, header reader says {headerLoaded}");
            if (dataOnly && loaded != true) failures.Add($"{context}: a file with only its tensor data changed must load");
            if (label.StartsWith("append") && loaded != false) failures.Add($"{context}: trailing bytes must be rejected");

            if (loaded == true) accepted++;
            else if (loaded == false) rejected++;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"accepted {accepted}, rejected {rejected}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(accepted > FileIterations / 10, $"only {accepted} mutants loaded: the fuzzer is not exercising the happy path");
        Assert.True(rejected > FileIterations / 2, $"only {rejected} mutants rejected: the mutations are too mild");
    }, TestContext.Current.CancellationToken);

    [Fact(Timeout = 60_000)]
    public Task MutatedIndexesParseOrFailWithAFormatError() => Task.Run(() =>
    {
        SafetensorsWriter.Write(_temp.File("model-00001-of-00002.safetensors"), [new("a", DType.U8, [2], new byte[] { 1, 2 })]);
        SafetensorsWriter.Write(_temp.File("model-00002-of-00002.safetensors"), [new("b", DType.I32, [1], new byte[4])]);
        SafetensorsWriter.WriteIndex(_temp.Path,
            new Dictionary<string, string> { ["a"] = "model-00001-of-00002.safetensors", ["b"] = "model-00002-of-00002.safetensors" }, 6);
        var original = File.ReadAllText(_temp.File(CheckpointIndex.FileName));
        var mutator = new FuzzMutator(Seed + 1);
        var failures = new List<string>();

        for (var i = 0; i < IndexIterations && failures.Count < 20; i++)
        {
            var (json, label) = mutator.MutateJson(original);
            File.WriteAllText(_temp.File(CheckpointIndex.FileName), json);
            try
            {
                SafetensorsCheckpoint.ReadIndex(_temp.Path);
                using var checkpoint = SafetensorsCheckpoint.Open(_temp.Path);
                foreach (var info in checkpoint.AllTensors()) checkpoint.GetBytes(info.Name);
            }
            catch (CheckpointFormatException)
            {
            }
            catch (Exception e)
            {
                failures.Add($"iteration {i}, {label}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }, TestContext.Current.CancellationToken);

    /// <summary>true = loaded and every tensor read; false = CheckpointFormatException; null = anything else (recorded).</summary>
    private static bool? TryLoadEverything(string path, long fileLength, string context, List<string> failures)
    {
        try
        {
            using var file = SafetensorsFile.Open(path);
            long covered = 0;
            foreach (var (name, info) in file.Tensors)
            {
                if (info.DataOffset < file.Header.DataStart || info.DataOffset + info.ByteLength > fileLength)
                    throw new InvalidOperationException($"'{name}' lies outside the data buffer");
                if (info.ByteLength != info.ElementCount * info.DType.SizeOf())
                    throw new InvalidOperationException($"'{name}' byte length disagrees with its shape");
                var bytes = file.GetBytes(name);
                foreach (var b in bytes) s_checksum += b;   // touch every mapped byte
                covered += bytes.Length;
            }
            if (covered != file.Header.DataLength) throw new InvalidOperationException("tensors do not cover the data buffer");
            return true;
        }
        catch (CheckpointFormatException e) when (e.File == path)
        {
            return false;
        }
        catch (Exception e)
        {
            failures.Add($"{context}: {e.GetType().Name}: {e.Message}");
            return null;
        }
    }

    private static bool? TryReadHeader(string path, string context, List<string> failures)
    {
        try
        {
            SafetensorsHeader.Read(path);
            return true;
        }
        catch (CheckpointFormatException)
        {
            return false;
        }
        catch (Exception e)
        {
            failures.Add($"{context} (header only): {e.GetType().Name}: {e.Message}");
            return null;
        }
    }

    /// <summary>Small valid files covering all dtypes, scalars, empty tensors, metadata and none.</summary>
    private byte[][] SeedFiles()
    {
        var random = new Random(Seed);
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        var rich = _temp.File("seed-rich.safetensors");
        SafetensorsWriter.Write(rich,
        [
            new("model.layers.0.self_attn.kv_a_proj_with_mqa.weight", DType.F8E4M3, [3, 4], Bytes(12)),
            new("model.layers.0.self_attn.kv_a_proj_with_mqa.weight_scale_inv", DType.F32, [1, 1], Bytes(4)),
            new("norm", DType.BF16, [5], Bytes(10)),
            new("half", DType.F16, [2], Bytes(4)),
            new("ids", DType.I64, [2, 1], Bytes(16)),
            new("empty", DType.I32, [0, 7], Array.Empty<byte>()),
            new("scalar", DType.U8, [], Bytes(1)),
            new("mask", DType.Bool, [3], Bytes(3)),
            new("signed", DType.I8, [1, 1, 2], Bytes(2)),
        ], new Dictionary<string, string> { ["format"] = "pt", ["note"] = "fuzz seed" });

        var plain = _temp.File("seed-plain.safetensors");
        SafetensorsWriter.Write(plain, [new("w", DType.F32, [2, 2], Bytes(16)), new("b", DType.F32, [2], Bytes(8))],
            new Dictionary<string, string>());

        return [File.ReadAllBytes(rich), File.ReadAllBytes(plain)];
    }
}
