namespace SeekSharp.IO;
internal static class AssemblyMarker;
