namespace SeekSharp.Models;
internal static class AssemblyMarker;
