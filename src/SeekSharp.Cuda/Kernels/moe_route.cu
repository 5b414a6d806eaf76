// moe_route.cu — DeepSeek's router for one token per block (MoeSelection.Select + HostDevice.MoeRoute):
// sigmoid scores, bias-corrected group-limited top-k (ties to the lower index), forced rows, weights of the picked.
// Launchers: MoeRouteLauncher.

// Index of the largest of v[0..n) with active[i] (strictly larger wins, so ties go to the lower index); -1 if none.
__device__ int argmax_active(const float* v, const u8* active, int n)
{
    int best = -1;
    for (int i = 0; i < n; i++)
        if (active[i] && (best < 0 || v[i] > v[best])) best = i;
    return best;
}

// logits [tokens, experts] fp32; bias [experts]; forced [tokens, per_token] or unused (has_forced = 0);
// ids [tokens, per_token] sorted ascending; weights [tokens, per_token].
// Dynamic shared memory: experts * (2 floats + 1 byte) + groups * (1 float + 1 byte). grid.x = token, block 256.
extern "C" __global__ void moe_route(const float* logits, const float* bias, int experts, int groups, int topk_groups,
    int per_token, int normalize, float scale, const int* forced, int has_forced, int* ids, float* weights)
{
    extern __shared__ float shared[];
    float* sigmoid = shared;                          // [experts]
    float* biased = sigmoid + experts;                // [experts]
    float* group_score = biased + experts;            // [groups]
    u8* active = (u8*)(group_score + groups);         // [experts]
    u8* group_active = active + experts;              // [groups]
    int t = blockIdx.x;
    const float* row = logits + (i64)t * experts;
    for (int e = threadIdx.x; e < experts; e += blockDim.x)
    {
        float s = 1.0f / (1.0f + expf(-row[e]));
        sigmoid[e] = s;
        biased[e] = s + bias[e];
        active[e] = 1;
    }
    __syncthreads();
    if (threadIdx.x != 0) return;   // the selection is short and sequential: one thread, exactly as the reference

    int* picked = ids + (i64)t * per_token;
    const int* forced_row = forced + (i64)t * per_token;
    if (has_forced && forced_row[0] >= 0)
    {
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
                int first = argmax_active(v, active + g * per_group, per_group);
                active[g * per_group + first] = 0;
                int second = per_group > 1 ? argmax_active(v, active + g * per_group, per_group) : -1;
                active[g * per_group + first] = 1;
                group_score[g] = second >= 0 ? v[first] + v[second] : v[first];
            }
            for (int g = 0; g < groups; g++) group_active[g] = 0;
            for (int kept = 0; kept < topk_groups; kept++)
            {
                // next best group among those not yet kept
                int best = -1;
                for (int g = 0; g < groups; g++)
                    if (!group_active[g] && (best < 0 || group_score[g] > group_score[best])) best = g;
                group_active[best] = 1;
            }
            for (int e = 0; e < experts; e++) active[e] = group_active[e / per_group];
        }
        for (int j = 0; j < per_token; j++)
        {
            int best = argmax_active(biased, active, experts);
            if (best < 0) best = 0;   // fewer experts in the kept groups than per_token: rejected by the launcher
            picked[j] = best;
            active[best] = 0;
        }
    }
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
