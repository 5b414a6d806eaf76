using System.Text.Json;
using SeekSharp.Server.Errors;

namespace SeekSharp.Server.Wire;

/// <summary>Reads the fields both completion endpoints share; each problem names its field.</summary>
public static class GenerationOptionsReader
{
    public const int MaxStopStrings = 16;
    public const int MaxTopLogprobs = 20;

    /// <summary>Temperature, top_p, top_k, seed, stop, stop_token_ids, n, penalties and ignore_eos (the logprobs fields differ per endpoint).</summary>
    public static GenerationOptions ReadCommon(RequestObject body, int? maxTokens)
    {
        var n = body.Integer("n", 1, 128) ?? 1;
        if (n != 1) throw ApiException.BadRequest("n", "n: only one choice per request is supported (n = 1)");
        foreach (var penalty in new[] { "presence_penalty", "frequency_penalty" })
        {
            var value = body.Number(penalty, -2, 2);
            if (value is { } v && v != 0) throw ApiException.BadRequest(penalty, $"{penalty}: penalties are not supported; send 0 or leave it out");
        }
        return new GenerationOptions
        {
            MaxTokens = maxTokens,
            Temperature = (float)(body.Number("temperature", 0, 2) ?? 1),
            TopP = ReadTopP(body),
            TopK = (int)(body.Integer("top_k", -1, 1_000_000) is { } k && k > 0 ? k : 0),
            Seed = ReadSeed(body),
            Stop = ReadStop(body),
            StopTokenIds = ReadStopTokenIds(body),
            IgnoreEos = body.Bool("ignore_eos") ?? false,
            LogitBias = ReadLogitBias(body),
        };
    }

    // {"TOKEN_ID": bias}: keys are token ids as strings, as OpenAI sends them
    private static Dictionary<int, float>? ReadLogitBias(RequestObject body)
    {
        if (!body.TryGet("logit_bias", out var json) || json.ValueKind == JsonValueKind.Null) return null;
        if (json.ValueKind != JsonValueKind.Object) throw body.WrongType("logit_bias", "an object of token id → bias", json);
        var result = new Dictionary<int, float>();
        foreach (var entry in json.EnumerateObject())
        {
            var path = $"logit_bias.{entry.Name}";
            if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                throw ApiException.BadRequest(path, $"{path}: keys must be token ids (non-negative integers)");
            if (entry.Value.ValueKind != JsonValueKind.Number || entry.Value.GetDouble() is < -100 or > 100)
                throw ApiException.BadRequest(path, $"{path} must be a number between -100 and 100");
            result[id] = (float)entry.Value.GetDouble();
        }
        if (result.Count > 300) throw ApiException.BadRequest("logit_bias", "logit_bias: at most 300 tokens");
        return result;
    }

    /// <summary>max_tokens (or <paramref name="alias"/>, which wins when both are given): at least <paramref name="least"/>.</summary>
    public static int? ReadMaxTokens(RequestObject body, string? alias = null, int least = 1)
    {
        var name = alias is not null && body.Has(alias) ? alias : "max_tokens";
        var value = body.Integer(name, least, int.MaxValue);
        return value is null ? null : (int)value;
    }

    private static float ReadTopP(RequestObject body)
    {
        var value = body.Number("top_p", 0, 1) ?? 1;
        if (value <= 0) throw ApiException.BadRequest("top_p", "top_p must be greater than 0 and at most 1");
        return (float)value;
    }

    // OpenAI seeds are 64-bit; the engine's sampling stream takes 32 bits, so larger seeds are folded.
    private static int? ReadSeed(RequestObject body)
    {
        var seed = body.Integer("seed", long.MinValue, long.MaxValue);
        if (seed is not { } s) return null;
        return s is >= int.MinValue and <= int.MaxValue ? (int)s : (int)(s ^ (s >> 32));
    }

    private static IReadOnlyList<string> ReadStop(RequestObject body)
    {
        if (!body.TryGet("stop", out var stop)) return [];
        if (stop.ValueKind == JsonValueKind.String) return NonEmpty(RequestObject.StringValue(stop, "stop"), "stop");
        if (stop.ValueKind != JsonValueKind.Array) throw body.WrongType("stop", "a string or an array of strings", stop);
        var result = new List<string>();
        var index = 0;
        foreach (var item in stop.EnumerateArray())
        {
            var path = $"stop[{index++}]";
            if (item.ValueKind != JsonValueKind.String) throw ApiException.BadRequest(path, $"{path} must be a string, got {RequestObject.KindName(item)}");
            result.AddRange(NonEmpty(RequestObject.StringValue(item, path), path));
        }
        if (result.Count > MaxStopStrings) throw ApiException.BadRequest("stop", $"stop: at most {MaxStopStrings} strings");
        return result;
    }

    private static IReadOnlyList<int> ReadStopTokenIds(RequestObject body)
    {
        if (body.Array("stop_token_ids") is not { } ids) return [];
        var result = new List<int>();
        var index = 0;
        foreach (var item in ids.EnumerateArray())
        {
            var path = $"stop_token_ids[{index++}]";
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var id) || id < 0)
                throw ApiException.BadRequest(path, $"{path} must be a token id (a non-negative integer), got {RequestObject.KindName(item)}");
            result.Add(id);
        }
        if (result.Count > MaxStopStrings * 4) throw ApiException.BadRequest("stop_token_ids", $"stop_token_ids: at most {MaxStopStrings * 4} ids");
        return result;
    }

    private static string[] NonEmpty(string value, string path) =>
        value.Length > 0 ? [value] : throw ApiException.BadRequest(path, $"{path} must not be empty");
}
