using System.Runtime.InteropServices;
using System.Text;
using SeekSharp.IO.Tokenization.Regex;

namespace SeekSharp.IO.Tokenization;

/// <summary>
/// DeepSeek-V3/V3.1/V3.2 tokenizer (HF byte-level BPE) loaded from tokenizer.json. Encode follows
/// HF tokenizers' encode(text, add_special_tokens=False): added tokens are found in the text first,
/// the stretches between them are pre-tokenized with the file's Split regexes (matched on code
/// points) and BPE-merged; no BOS is ever added (the rendered prompt carries it).
/// Thread-safe: any number of threads may encode and decode at once.
/// </summary>
public sealed class DeepSeekTokenizer : Chat.ITextTokenizer
{
    [ThreadStatic] private static List<AddedTokenMatcher.Segment>? s_segments;
    [ThreadStatic] private static List<TextRange>? s_pieces;

    private readonly BpeModel _model;
    private readonly PreTokenizer _preTokenizer;
    private readonly AddedTokenMatcher _addedMatcher;
    private readonly string?[] _idToToken;
    private readonly byte[]?[] _idToBytes;
    private readonly AddedToken?[] _idToAdded;
    private readonly Dictionary<string, int> _addedByContent;

    private DeepSeekTokenizer(TokenizerDefinition definition)
    {
        _model = new BpeModel(definition.Vocabulary, definition.Merges, definition.IgnoreMerges);
        _preTokenizer = new PreTokenizer(definition.Splits);
        _addedMatcher = new AddedTokenMatcher(definition.AddedTokens);
        AddedTokens = definition.AddedTokens;

        var maxId = -1;
        foreach (var id in definition.Vocabulary.Values) maxId = Math.Max(maxId, id);
        foreach (var token in definition.AddedTokens) maxId = Math.Max(maxId, token.Id);
        VocabSize = maxId + 1;
        _idToToken = new string?[VocabSize];
        _idToBytes = new byte[]?[VocabSize];
        _idToAdded = new AddedToken?[VocabSize];
        foreach (var (token, id) in definition.Vocabulary)
        {
            _idToToken[id] = token;
            _idToBytes[id] = ByteLevelAlphabet.DecodeToken(token);
        }
        _addedByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in definition.AddedTokens)
        {
            // An added token overrides a vocabulary entry with the same id, as in HF's id_to_token.
            _idToAdded[token.Id] = token;
            _idToToken[token.Id] = token.Content;
            _addedByContent.TryAdd(token.Content, token.Id);
        }
    }

    /// <summary>Loads an HF tokenizer.json; throws <see cref="TokenizerFormatException"/> naming the field when it is malformed or unsupported.</summary>
    public static DeepSeekTokenizer Load(string tokenizerJsonPath) => new(TokenizerJsonReader.Read(tokenizerJsonPath));

    /// <summary>One more than the largest id (BPE vocabulary and added tokens).</summary>
    public int VocabSize { get; }

    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>The regex patterns of the pre-tokenizer's Split steps, in order.</summary>
    public IReadOnlyList<string> SplitPatterns => _preTokenizer.Splits.Select(s => s.Pattern).ToArray();

    public IReadOnlyList<int> Encode(string text) => EncodeToIds(text);

    public int[] EncodeToIds(string text)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        EncodeInto(text, ids);
        return [.. ids];
    }

    /// <summary>Appends the ids of text to output (no allocation per call once caches are warm).</summary>
    public void EncodeInto(string text, List<int> output)
    {
        ArgumentNullException.ThrowIfNull(text);
        var segments = s_segments ??= [];
        var pieces = s_pieces ??= [];
        segments.Clear();
        _addedMatcher.Split(text, segments);
        foreach (var segment in segments)
        {
            if (segment.Token is { } token)
            {
                output.Add(token.Id);
                continue;
            }
            pieces.Clear();
            _preTokenizer.Split(text, segment.Range.Start, segment.Range.End, pieces);
            foreach (var piece in pieces) _model.EncodePiece(text.AsSpan(piece.Start, piece.Length), output);
        }
    }

    /// <summary>Ids and their token strings (byte-level form for BPE tokens, e.g. "Ġworld").</summary>
    public (int[] Ids, string[] Tokens) EncodeWithTokens(string text)
    {
        var ids = EncodeToIds(text);
        return (ids, ids.Select(IdToToken).ToArray());
    }

    /// <summary>
    /// The pieces the text is cut into before BPE: added tokens as their own pieces, and the
    /// pre-tokenizer's pieces of each stretch between them. They concatenate to text.
    /// </summary>
    public IReadOnlyList<string> PreTokenize(string text)
    {
        var segments = new List<AddedTokenMatcher.Segment>();
        _addedMatcher.Split(text, segments);
        var result = new List<string>();
        var pieces = new List<TextRange>();
        foreach (var segment in segments)
        {
            if (segment.Token is not null)
            {
                result.Add(text.Substring(segment.Range.Start, segment.Range.Length));
                continue;
            }
            pieces.Clear();
            _preTokenizer.Split(text, segment.Range.Start, segment.Range.End, pieces);
            foreach (var piece in pieces) result.Add(text.Substring(piece.Start, piece.Length));
        }
        return result;
    }

    /// <summary>
    /// Text of the ids, as HF tokenizers' decode: BPE tokens map back to bytes, which are decoded as
    /// UTF-8 with one U+FFFD per maximal invalid subsequence; an added token is emitted as its text
    /// and ends the byte run before it. skipSpecialTokens drops added tokens marked special.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id has no token.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var pending = new List<byte>();
        foreach (var id in ids)
        {
            if (TryGetAddedToken(id, out var added))
            {
                if (skipSpecialTokens && added.Special) continue;
                AppendBytes(text, pending);
                text.Append(added.Content);
                continue;
            }
            foreach (var b in TokenBytes(id)) pending.Add(b);
        }
        AppendBytes(text, pending);
        return text.ToString();
    }

    private static void AppendBytes(StringBuilder text, List<byte> pending)
    {
        if (pending.Count == 0) return;
        text.Append(Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(pending)));
        pending.Clear();
    }

    /// <summary>The token string of an id (added token content, or the byte-level BPE token).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id has no token.</exception>
    public string IdToToken(int id) =>
        (uint)id < (uint)_idToToken.Length && _idToToken[id] is { } token ? token : throw UnknownId(id);

    /// <summary>The id of a token string (added tokens first, then the BPE vocabulary), or null.</summary>
    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out var id) || _model.Vocabulary.TryGetValue(token, out id) ? id : null;

    /// <summary>True when id is an added token marked special (dropped by skipSpecialTokens).</summary>
    public bool IsSpecialToken(int id) => (uint)id < (uint)_idToAdded.Length && _idToAdded[id] is { Special: true };

    /// <summary>True when id names a token (BPE vocabulary or added).</summary>
    public bool IsKnownId(int id) => (uint)id < (uint)_idToToken.Length && _idToToken[id] is not null;

    public StreamingDetokenizer CreateStreamingDetokenizer(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    internal bool TryGetAddedToken(int id, out AddedToken token)
    {
        if ((uint)id < (uint)_idToAdded.Length && _idToAdded[id] is { } found)
        {
            token = found;
            return true;
        }
        if (!IsKnownId(id)) throw UnknownId(id);
        token = null!;
        return false;
    }

    internal ReadOnlySpan<byte> TokenBytes(int id) =>
        (uint)id < (uint)_idToBytes.Length && _idToBytes[id] is { } bytes ? bytes : throw UnknownId(id);

    private static ArgumentOutOfRangeException UnknownId(int id) =>
        new(nameof(id), id, $"token id {id} is not in the vocabulary");
}
