using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SeekSharp.IO.Tokenization;

namespace SeekSharp.Cli.Commands;

/// <summary>
/// `seek tokenize` and `seek detokenize`: the DeepSeek tokenizer on a tokenizer.json, for debugging
/// prompts in the field. Output is raw UTF-8 (independent of the console's code page). Bad input
/// (missing or malformed file, a non-integer or unknown id) gives one line on stderr and exit code 2.
/// </summary>
public static class TokenizeCommands
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command CreateTokenize() => CreateTokenize(Console.OpenStandardOutput, Console.Error);

    public static Command CreateDetokenize() => CreateDetokenize(Console.OpenStandardOutput, Console.Error);

    /// <param name="stdout">Opens the stream the result bytes go to (tests pass a memory stream).</param>
    /// <param name="stderr">Where problems are reported.</param>
    public static Command CreateTokenize(Func<Stream> stdout, TextWriter stderr)
    {
        var tokenizer = TokenizerOption();
        var text = new Option<string>("--text") { Description = "The text to encode" };
        var file = new Option<string>("--file") { Description = "A UTF-8 file whose exact contents are encoded (a BOM is kept as U+FEFF)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object {\"ids\": [...], \"tokens\": [...]}" };
        var command = new Command("tokenize",
            "Encode text to token ids (no BOS added). Prints one 'id<TAB>token' line per token, or JSON with --json")
        {
            tokenizer, text, file, json,
        };
        command.SetAction(result => Run(stdout, stderr, () =>
        {
            var input = ReadInput(result.GetValue(text), result.GetValue(file));
            var (ids, tokens) = DeepSeekTokenizer.Load(result.GetValue(tokenizer)!).EncodeWithTokens(input);
            return result.GetValue(json) ? FormatJson(ids, tokens) : s_utf8.GetBytes(FormatLines(ids, tokens));
        }));
        return command;
    }

    /// <param name="stdout">Opens the stream the result bytes go to (tests pass a memory stream).</param>
    /// <param name="stderr">Where problems are reported.</param>
    public static Command CreateDetokenize(Func<Stream> stdout, TextWriter stderr)
    {
        var tokenizer = TokenizerOption();
        var ids = new Option<string>("--ids")
        {
            Description = "Token ids separated by spaces and/or commas (brackets allowed), e.g. \"0 3009 1704\"",
            Required = true,
        };
        var skipSpecial = new Option<bool>("--skip-special") { Description = "Drop special tokens (BOS, EOS, pad, ...)" };
        var command = new Command("detokenize", "Decode token ids to text; prints exactly the text, no newline added")
        {
            tokenizer, ids, skipSpecial,
        };
        command.SetAction(result => Run(stdout, stderr, () =>
        {
            var loaded = DeepSeekTokenizer.Load(result.GetValue(tokenizer)!);
            var parsed = ParseIds(result.GetValue(ids)!, loaded);
            return s_utf8.GetBytes(loaded.Decode(parsed, result.GetValue(skipSpecial)));
        }));
        return command;
    }

    private static Option<string> TokenizerOption() => new("--tokenizer")
    {
        Description = "Path of a Hugging Face tokenizer.json (DeepSeek-V3/V3.1/V3.2 byte-level BPE)",
        Required = true,
    };

    private static string ReadInput(string? text, string? file)
    {
        if ((text is null) == (file is null)) throw new CliInputException("give exactly one of --text and --file");
        return text ?? s_strictUtf8.GetString(File.ReadAllBytes(file!));
    }

    private static string FormatLines(int[] ids, string[] tokens)
    {
        var lines = new StringBuilder();
        for (var i = 0; i < ids.Length; i++)
            lines.Append(ids[i].ToString(CultureInfo.InvariantCulture)).Append('\t').Append(tokens[i]).Append('\n');
        return lines.ToString();
    }

    private static byte[] FormatJson(int[] ids, string[] tokens)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_json))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("ids");
            foreach (var id in ids) writer.WriteNumberValue(id);
            writer.WriteEndArray();
            writer.WriteStartArray("tokens");
            foreach (var token in tokens) writer.WriteStringValue(token);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static int[] ParseIds(string text, DeepSeekTokenizer tokenizer)
    {
        var parts = text.Split([' ', '\t', '\n', '\r', ',', '[', ']'], StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
                throw new CliInputException($"--ids: '{parts[i]}' is not a non-negative integer");
            if (!tokenizer.IsKnownId(ids[i]))
                throw new CliInputException($"--ids: token id {ids[i]} is not in the vocabulary (ids go up to {tokenizer.VocabSize - 1})");
        }
        return ids;
    }

    private static int Run(Func<Stream> stdout, TextWriter stderr, Func<byte[]> produce) =>
        ExactOutput.Run(stdout, stderr, produce, e => e is CliInputException or TokenizerFormatException or IOException
            or UnauthorizedAccessException or DecoderFallbackException);

    private sealed class CliInputException(string message) : Exception(message);
}
