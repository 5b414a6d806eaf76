// moe_route.cu - DeepSeek's router, one warp per token (MoeSelection.Select + HostDevice.MoeRoute):
// sigmoid scores, bias-corrected group-limited top-k (ties to the lower index), forced rows, weights of the picked.
// Launchers: MoeRouteLauncher.

// Index of the largest of v[0..n) with active[i], -1 if none: strictly larger wins, so ties go to the lower index
// (the reference's first maximum). One warp: each lane scans its indices ascending, then the lanes' winners meet in
// a butterfly under the same order (larger value, then lower index), so every lane returns the same index.
__device__ int warp_argmax_active(const float* v, const u8* active, int n, int lane)
{
    float best_v = 0.0f;
    int best = -1;
    for (int i = lane; i < n; i += 32)
        if (active[i] && (best < 0 || v[i] > best_v)) { best_v = v[i]; best = i; }
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        float other_v = __shfl_xor_sync(0xffffffffu, best_v, offset);
        int other = __shfl_xor_sync(0xffffffffu, best, offset);
        if (other >= 0 && (best < 0 || other_v > best_v || (other_v == best_v && other < best))) { best_v = other_v; best = other; }
    }
    return best;
}

#define ROUTE_WARPS 4   // tokens per block: one warp each

// logits [tokens, experts] fp32; bias [experts]; forced [tokens, per_token] or unused (has_forced = 0);
// ids [tokens, per_token] sorted ascending; weights [tokens, per_token].
// One warp per token, ROUTE_WARPS per block. Dynamic shared memory per warp: experts * (2 floats + 1 byte) +
// groups * (1 float + 1 byte), rounded up to 16 bytes. The selection is the reference's sequence of first-maximum
// searches, each one a warp-wide argmax (the same picks as a one-thread scan, in a few microseconds instead of ~100).
extern "C" __global__ void __launch_bounds__(32 * ROUTE_WARPS) moe_route(const float* logits, const float* bias, int tokens,
    int experts, int groups, int topk_groups, int per_token, int normalize, float scale, const int* forced, int has_forced,
    int* ids, float* weights)
{
    extern __shared__ float shared[];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int t = blockIdx.x * ROUTE_WARPS + warp;
    if (t >= tokens) return;   // whole warps leave: no block-wide barrier below
    const int per_warp = ((experts * 9 + groups * 5) + 15) / 16 * 4;   // floats
    float* sigmoid = shared + warp * per_warp;        // [experts]
    float* biased = sigmoid + experts;                // [experts]
    float* group_score = biased + experts;            // [groups]
    u8* active = (u8*)(group_score + groups);         // [experts]
    u8* group_active = active + experts;              // [groups]
    const float* row = logits + (i64)t * experts;
    for (int e = lane; e < experts; e += 32)
    {
        float s = 1.0f / (1.0f + expf(-row[e]));
        sigmoid[e] = s;
        biased[e] = s + bias[e];
        active[e] = 1;
    }
    __syncwarp();

    int* picked = ids + (i64)t * per_token;
    const int* forced_row = forced + (i64)t * per_token;
    if (has_forced && forced_row[0] >= 0)
    {
        if (lane == 0)
            for (int j = 0; j < per_token; j++) picked[j] = forced_row[j];
    }
    else
    {
        int per_group = experts / groups;
        if (groups > 1)
        {
            for (int g = 0; g < groups; g++)
            {
                // group score = sum of the group's two best biased scores (its only one if the group has one)
                const float* v = biased + g * per_group;
                u8* group_flags = active + g * per_group;
                int first = warp_argmax_active(v, group_flags, per_group, lane);
                __syncwarp();
                if (lane == 0) group_flags[first] = 0;
                __syncwarp();
                int second = per_group > 1 ? warp_argmax_active(v, group_flags, per_group, lane) : -1;
                __syncwarp();
                if (lane == 0)
                {
                    group_flags[first] = 1;
                    group_score[g] = second >= 0 ? v[first] + v[second] : v[first];
                }
                __syncwarp();
            }
            if (lane == 0)
            {
                for (int g = 0; g < groups; g++) group_active[g] = 0;
                for (int kept = 0; kept < topk_groups; kept++)
                {
                    // next best group among those not yet kept
                    int best = -1;
                    for (int g = 0; g < groups; g++)
                        if (!group_active[g] && (best < 0 || group_score[g] > group_score[best])) best = g;
                    group_active[best] = 1;
                }
            }
            __syncwarp();
            for (int e = lane; e < experts; e += 32) active[e] = group_active[e / per_group];
            __syncwarp();
        }
        for (int j = 0; j < per_token; j++)
        {
            int best = warp_argmax_active(biased, active, experts, lane);
            if (best < 0) best = 0;   // fewer experts in the kept groups than per_token: rejected by the launcher
            __syncwarp();
            if (lane == 0)
            {
                picked[j] = best;
                active[best] = 0;
            }
            __syncwarp();
        }
    }
    __syncwarp();
    if (lane != 0) return;
    // ascending ids (insertion sort: per_token is small)
    for (int j = 1; j < per_token; j++)
    {
        int v = picked[j], i = j - 1;
        while (i >= 0 && picked[i] > v) { picked[i + 1] = picked[i]; i--; }
        picked[i + 1] = v;
    }
    float* wr = weights + (i64)t * per_token;
    float total = 0.0f;
    for (int j = 0; j < per_token; j++) { wr[j] = sigmoid[picked[j]]; total = total + wr[j]; }
    for (int j = 0; j < per_token; j++)
    {
        float v = wr[j];
        if (normalize) v = v / total;
        wr[j] = v * scale;
    }
}
