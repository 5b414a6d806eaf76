namespace SeekSharp.IO.Tokenization;

/// <summary>A tokenizer.json is malformed or uses a feature this tokenizer does not implement; names the file and the JSON field.</summary>
public sealed class TokenizerFormatException : Exception
{
    public TokenizerFormatException(string file, string field, string problem, Exception? inner = null)
        : base($"{file}: '{field}': {problem}", inner)
    {
        File = file;
        Field = field;
        Problem = problem;
    }

    /// <summary>The tokenizer.json at fault.</summary>
    public string File { get; }

    /// <summary>The JSON path of the field at fault, e.g. "pre_tokenizer.pretokenizers[2].behavior".</summary>
    public string Field { get; }

    public string Problem { get; }
}
