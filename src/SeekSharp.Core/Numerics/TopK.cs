namespace SeekSharp.Core.Numerics;

/// <summary>Indices of the k largest values (order of the result unspecified; ties broken by lower index).</summary>
public static class TopK
{
    /// <summary>Writes the indices of the k largest of values into result[..k]; returns k (≤ values.Length).</summary>
    public static int Select(ReadOnlySpan<float> values, int k, Span<int> result)
    {
        var n = values.Length;
        if (k >= n)
        {
            for (var i = 0; i < n; i++) result[i] = i;
            return n;
        }
        // Min-heap of the best k seen so far: O(n log k), no allocation beyond result.
        var heap = result[..k];
        for (var i = 0; i < k; i++) { heap[i] = i; SiftUp(heap, values, i); }
        for (var i = k; i < n; i++)
        {
            if (!Better(values, i, heap[0])) continue;
            heap[0] = i;
            SiftDown(heap, values, 0);
        }
        return k;
    }

    // a ranks above b: larger value, or equal value and lower index
    private static bool Better(ReadOnlySpan<float> v, int a, int b) => v[a] > v[b] || (v[a] == v[b] && a < b);

    private static void SiftUp(Span<int> heap, ReadOnlySpan<float> v, int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (!Better(v, heap[parent], heap[i])) break;
            (heap[parent], heap[i]) = (heap[i], heap[parent]);
            i = parent;
        }
    }

    private static void SiftDown(Span<int> heap, ReadOnlySpan<float> v, int i)
    {
        while (true)
        {
            int left = 2 * i + 1, right = left + 1, worst = i;
            if (left < heap.Length && Better(v, heap[worst], heap[left])) worst = left;
            if (right < heap.Length && Better(v, heap[worst], heap[right])) worst = right;
            if (worst == i) return;
            (heap[worst], heap[i]) = (heap[i], heap[worst]);
            i = worst;
        }
    }
}
