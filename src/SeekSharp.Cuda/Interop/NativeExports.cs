using System.Runtime.InteropServices;

namespace SeekSharp.Cuda.Interop;

/// <summary>Resolves exported C symbols of a loaded library, naming the library and symbol when one is missing.</summary>
internal static class NativeExports
{
    public static nint Require(LoadedLibrary library, string symbol) =>
        NativeLibrary.TryGetExport(library.Handle, symbol, out var address)
            ? address
            : throw new EntryPointNotFoundException($"{library.Spec.Display} at {library.Path} does not export {symbol}");

    /// <summary>The first of <paramref name="symbols"/> the library exports (newer versioned names first).</summary>
    public static nint RequireAny(LoadedLibrary library, params string[] symbols)
    {
        foreach (var symbol in symbols)
            if (NativeLibrary.TryGetExport(library.Handle, symbol, out var address)) return address;
        throw new EntryPointNotFoundException($"{library.Spec.Display} at {library.Path} exports none of {string.Join(", ", symbols)}");
    }

    /// <summary>A NUL-terminated C string owned by the library (never freed by us), or the fallback.</summary>
    public static unsafe string Utf8(byte* text, string fallback) =>
        text is null ? fallback : Marshal.PtrToStringUTF8((nint)text) ?? fallback;
}
