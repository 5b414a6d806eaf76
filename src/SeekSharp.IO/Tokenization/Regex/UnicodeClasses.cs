using System.Globalization;

namespace SeekSharp.IO.Tokenization.Regex;

/// <summary>
/// Code-point predicates for the class escapes and \p{..} properties of Oniguruma's Ruby syntax
/// (the engine behind HF tokenizers' Split regexes). Categories come from .NET's Unicode tables.
/// </summary>
internal static class UnicodeClasses
{
    /// <summary>The Unicode White_Space property (what Oniguruma's \s means for Unicode strings).</summary>
    public static bool IsWhiteSpace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D => true,
        0x20 or 0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A => true,
        0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    public static UnicodeCategory Category(int cp) =>
        cp is >= 0 and <= 0x10FFFF ? CharUnicodeInfo.GetUnicodeCategory(cp) : UnicodeCategory.OtherNotAssigned;

    public static bool IsDigit(int cp) => Category(cp) == UnicodeCategory.DecimalDigitNumber;

    /// <summary>Word characters: letters, marks, numbers of kind Nd/Nl, connector punctuation.</summary>
    public static bool IsWord(int cp) => Category(cp) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => true,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => true,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber => true,
        UnicodeCategory.ConnectorPunctuation => true,
        _ => false,
    };

    public static bool IsHexDigit(int cp) => cp is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F';

    /// <summary>The predicate for a \p{name}; null when the name is not a general category we know.</summary>
    public static Func<int, bool>? Property(string name)
    {
        var categories = CategoriesOf(name);
        if (categories is null) return null;
        var mask = 0UL;
        foreach (var c in categories) mask |= 1UL << (int)c;
        return cp => (mask & (1UL << (int)Category(cp))) != 0;
    }

    private static UnicodeCategory[]? CategoriesOf(string name) => name.Replace("_", "").Replace(" ", "").ToLowerInvariant() switch
    {
        "l" or "letter" => [UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter,
            UnicodeCategory.ModifierLetter, UnicodeCategory.OtherLetter],
        "lc" or "l&" or "casedletter" => [UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter],
        "lu" or "uppercaseletter" => [UnicodeCategory.UppercaseLetter],
        "ll" or "lowercaseletter" => [UnicodeCategory.LowercaseLetter],
        "lt" or "titlecaseletter" => [UnicodeCategory.TitlecaseLetter],
        "lm" or "modifierletter" => [UnicodeCategory.ModifierLetter],
        "lo" or "otherletter" => [UnicodeCategory.OtherLetter],
        "m" or "mark" or "combiningmark" => [UnicodeCategory.NonSpacingMark, UnicodeCategory.SpacingCombiningMark, UnicodeCategory.EnclosingMark],
        "mn" or "nonspacingmark" => [UnicodeCategory.NonSpacingMark],
        "mc" or "spacingmark" => [UnicodeCategory.SpacingCombiningMark],
        "me" or "enclosingmark" => [UnicodeCategory.EnclosingMark],
        "n" or "number" => [UnicodeCategory.DecimalDigitNumber, UnicodeCategory.LetterNumber, UnicodeCategory.OtherNumber],
        "nd" or "decimalnumber" => [UnicodeCategory.DecimalDigitNumber],
        "nl" or "letternumber" => [UnicodeCategory.LetterNumber],
        "no" or "othernumber" => [UnicodeCategory.OtherNumber],
        "p" or "punctuation" => [UnicodeCategory.ConnectorPunctuation, UnicodeCategory.DashPunctuation, UnicodeCategory.OpenPunctuation,
            UnicodeCategory.ClosePunctuation, UnicodeCategory.InitialQuotePunctuation, UnicodeCategory.FinalQuotePunctuation,
            UnicodeCategory.OtherPunctuation],
        "pc" or "connectorpunctuation" => [UnicodeCategory.ConnectorPunctuation],
        "pd" or "dashpunctuation" => [UnicodeCategory.DashPunctuation],
        "ps" or "openpunctuation" => [UnicodeCategory.OpenPunctuation],
        "pe" or "closepunctuation" => [UnicodeCategory.ClosePunctuation],
        "pi" or "initialpunctuation" => [UnicodeCategory.InitialQuotePunctuation],
        "pf" or "finalpunctuation" => [UnicodeCategory.FinalQuotePunctuation],
        "po" or "otherpunctuation" => [UnicodeCategory.OtherPunctuation],
        "s" or "symbol" => [UnicodeCategory.MathSymbol, UnicodeCategory.CurrencySymbol, UnicodeCategory.ModifierSymbol, UnicodeCategory.OtherSymbol],
        "sm" or "mathsymbol" => [UnicodeCategory.MathSymbol],
        "sc" or "currencysymbol" => [UnicodeCategory.CurrencySymbol],
        "sk" or "modifiersymbol" => [UnicodeCategory.ModifierSymbol],
        "so" or "othersymbol" => [UnicodeCategory.OtherSymbol],
        "z" or "separator" => [UnicodeCategory.SpaceSeparator, UnicodeCategory.LineSeparator, UnicodeCategory.ParagraphSeparator],
        "zs" or "spaceseparator" => [UnicodeCategory.SpaceSeparator],
        "zl" or "lineseparator" => [UnicodeCategory.LineSeparator],
        "zp" or "paragraphseparator" => [UnicodeCategory.ParagraphSeparator],
        "c" or "other" => [UnicodeCategory.Control, UnicodeCategory.Format, UnicodeCategory.Surrogate, UnicodeCategory.PrivateUse,
            UnicodeCategory.OtherNotAssigned],
        "cc" or "control" => [UnicodeCategory.Control],
        "cf" or "format" => [UnicodeCategory.Format],
        "cs" or "surrogate" => [UnicodeCategory.Surrogate],
        "co" or "privateuse" => [UnicodeCategory.PrivateUse],
        "cn" or "unassigned" => [UnicodeCategory.OtherNotAssigned],
        _ => null,
    };
}
