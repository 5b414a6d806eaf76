// sampling.cu - greedy decoding on the device. Launchers: SamplingLauncher.

// ids[r] = index of the largest of logits[r, 0..vocab) (lowest index on ties). grid.x = row, block = 1024.
extern "C" __global__ void argmax_rows(const float* logits, int vocab, int* ids)
{
    __shared__ float best_value[32];
    __shared__ int best_index[32];
    const float* row = logits + (i64)blockIdx.x * vocab;
    float value = SS_NEG_INF;
    int index = 0x7fffffff;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x)   // ascending i per thread: strict > keeps the lowest
        if (row[i] > value || index == 0x7fffffff) { value = row[i]; index = i; }
    // warp then block reduction on (value, index): larger value wins, equal values the lower index
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        float v = __shfl_xor_sync(0xffffffffu, value, offset);
        int i = __shfl_xor_sync(0xffffffffu, index, offset);
        if (v > value || (v == value && i < index)) { value = v; index = i; }
    }
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    if (lane == 0) { best_value[warp] = value; best_index[warp] = index; }
    __syncthreads();
    if (warp != 0) return;
    value = lane < warps ? best_value[lane] : SS_NEG_INF;
    index = lane < warps ? best_index[lane] : 0x7fffffff;
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        float v = __shfl_xor_sync(0xffffffffu, value, offset);
        int i = __shfl_xor_sync(0xffffffffu, index, offset);
        if (v > value || (v == value && i < index)) { value = v; index = i; }
    }
    if (lane == 0) ids[blockIdx.x] = index == 0x7fffffff ? 0 : index;
}

// ---- sampling: IComputeDevice.SampleRows, the same arithmetic as SeekSharp.Core.Numerics.SamplingMath -----------

__device__ __forceinline__ float ss_exp(float x)   // SamplingMath.Exp
{
    if (!(x > -87.0f)) return 0.0f;
    if (x > 0.0f) x = 0.0f;
    float k = floorf(x * 1.44269504088896341f + 0.5f);
    float r = (x - k * 0.693145751953125f) - k * 1.42860682030941723212e-6f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.16666667f + r * (0.041666668f + r * (0.008333334f + r * 0.0013888889f)))));
    return __int_as_float(__float_as_int(p) + ((int)k << 23));
}

__device__ __forceinline__ double ss_neg_log(double u)   // SamplingMath.NegLog
{
    long long bits = __double_as_longlong(u);
    int exponent = (int)((bits >> 52) & 0x7FF) - 1023;
    double m = __longlong_as_double((bits & 0x000FFFFFFFFFFFFFLL) | 0x3FF0000000000000LL);
    if (m > 1.4142135623730951) { m *= 0.5; exponent++; }
    double f = (m - 1.0) / (m + 1.0);
    double f2 = f * f;
    double series = 1.0 + f2 * (1.0 / 3 + f2 * (1.0 / 5 + f2 * (1.0 / 7 + f2 * (1.0 / 9 + f2 * (1.0 / 11 + f2 * (1.0 / 13 + f2 * (1.0 / 15 + f2 * (1.0 / 17 + f2 * (1.0 / 19)))))))));
    double ln_m = 2.0 * f * series;
    return -(exponent * 0.6931471805599453 + ln_m);
}

__device__ __forceinline__ double ss_uniform(u64 seed, u64 counter, int index)   // SamplingMath.Uniform
{
    u64 x = seed + counter * 0x9E3779B97F4A7C15ULL + (u64)index * 0xD1B54A32D192ED03ULL;
    x ^= x >> 30; x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27; x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return (double)((x >> 11) * 2 + 1) * (1.0 / 18014398509481984.0);   // 2^-54
}

#define SS_THREADS 1024
#define SS_WARPS (SS_THREADS / 32)

// Block-wide reductions for one row per block (all threads call; result in every thread).
__device__ double ss_sum_d(double v, double* scratch)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = v;
    __syncthreads();
    double total = 0.0;
    for (int w = 0; w < SS_WARPS; w++) total += scratch[w];   // fixed order: every thread gets the same value
    return total;
}

__device__ int ss_sum_i(int v, int* scratch)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = v;
    __syncthreads();
    int total = 0;
    for (int w = 0; w < SS_WARPS; w++) total += scratch[w];
    return total;
}

__device__ float ss_max_f(float v, float* scratch)
{
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    __syncthreads();
    if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = v;
    __syncthreads();
    float m = scratch[0];
    for (int w = 1; w < SS_WARPS; w++) m = fmaxf(m, scratch[w]);
    return m;
}

// settings: 6 ints per row: temperature bits, top_p bits, top_k, seed lo, seed hi, counter lo, counter hi (7).
// One block of 1024 threads per row. Instead of sorting, the kept set {first n in (e desc, index asc)} is found by
// binary searches over e's fp32 bit patterns (e >= 0, so bits order like values) and over the index among ties.
extern "C" __global__ void __launch_bounds__(SS_THREADS) sample_rows(const float* logits, int vocab, const int* settings, int* ids)
{
    __shared__ double dscratch[SS_WARPS];
    __shared__ int iscratch[SS_WARPS];
    __shared__ float fscratch[SS_WARPS];
    __shared__ double best_value[SS_WARPS];
    __shared__ int best_index[SS_WARPS];
    const float* row = logits + (i64)blockIdx.x * vocab;
    const int* s = settings + blockIdx.x * 7;
    float temperature = __int_as_float(s[0]), top_p = __int_as_float(s[1]);
    int top_k = s[2];
    u64 seed = (u64)(u32)s[3] | ((u64)(u32)s[4] << 32), counter = (u64)(u32)s[5] | ((u64)(u32)s[6] << 32);
    int t = threadIdx.x;

    // greedy, or the fallback: argmax of the logits, lowest index on ties
    #define SS_ARGMAX_AND_RETURN() { \
        float v = SS_NEG_INF; int at = 0x7fffffff; \
        for (int i = t; i < vocab; i += SS_THREADS) if (row[i] > v || at == 0x7fffffff) { v = row[i]; at = i; } \
        for (int o = 16; o > 0; o >>= 1) { float ov = __shfl_xor_sync(0xffffffffu, v, o); int oi = __shfl_xor_sync(0xffffffffu, at, o); \
            if (ov > v || (ov == v && oi < at)) { v = ov; at = oi; } } \
        __syncthreads(); if ((t & 31) == 0) { fscratch[t >> 5] = v; iscratch[t >> 5] = at; } __syncthreads(); \
        if (t == 0) { float bv = fscratch[0]; int bi = iscratch[0]; \
            for (int w = 1; w < SS_WARPS; w++) if (fscratch[w] > bv || (fscratch[w] == bv && iscratch[w] < bi)) { bv = fscratch[w]; bi = iscratch[w]; } \
            ids[blockIdx.x] = bi == 0x7fffffff ? 0 : bi; } \
        return; }

    if (!(temperature > 0.0f)) SS_ARGMAX_AND_RETURN();

    float local_max = SS_NEG_INF;
    for (int i = t; i < vocab; i += SS_THREADS) local_max = fmaxf(local_max, row[i] / temperature);
    float max = ss_max_f(local_max, fscratch);
    #define SS_E(i) ss_exp(row[i] / temperature - max)

    int keep = (top_k > 0 && top_k < vocab) ? top_k : vocab;
    if (top_p < 1.0f)
    {
        double local = 0.0;
        for (int i = t; i < vocab; i += SS_THREADS) local += (double)SS_E(i);
        double target = (double)top_p * ss_sum_d(local, dscratch);
        // v* = the largest e value whose mass M(v) = sum_{e >= v} e reaches the target
        u32 lo = 0, hi = 0x3f800000u;   // e in [0, 1]
        while (lo < hi)
        {
            u32 mid = lo + (hi - lo + 1) / 2;
            float v = __uint_as_float(mid);
            double part = 0.0;
            for (int i = t; i < vocab; i += SS_THREADS) { float e = SS_E(i); if (e >= v) part += (double)e; }
            if (ss_sum_d(part, dscratch) >= target) lo = mid; else hi = mid - 1;
        }
        float vstar = __uint_as_float(lo);
        double above_mass = 0.0; int above = 0, equal = 0;
        for (int i = t; i < vocab; i += SS_THREADS)
        {
            float e = SS_E(i);
            if (e > vstar) { above_mass += (double)e; above++; } else if (e == vstar) equal++;
        }
        above_mass = ss_sum_d(above_mass, dscratch);
        above = ss_sum_i(above, iscratch);
        equal = ss_sum_i(equal, iscratch);
        // the ties at v* join one at a time, as a running sum would add them
        int j = 0; double mass = above_mass;
        while (j < equal && mass < target) { mass += (double)vstar; j++; }
        if (j == 0) j = 1;
        keep = min(keep, above + j);
    }

    // the kept set: e > v_n, plus the lowest-index ties at v_n up to n in all
    float vn = -1.0f; int cutoff = vocab;   // defaults: keep everything
    if (keep < vocab)
    {
        u32 lo = 0, hi = 0x3f800000u;   // v_n = the largest v with count(e >= v) >= keep
        while (lo < hi)
        {
            u32 mid = lo + (hi - lo + 1) / 2;
            float v = __uint_as_float(mid);
            int part = 0;
            for (int i = t; i < vocab; i += SS_THREADS) part += SS_E(i) >= v ? 1 : 0;
            if (ss_sum_i(part, iscratch) >= keep) lo = mid; else hi = mid - 1;
        }
        vn = __uint_as_float(lo);
        int above = 0;
        for (int i = t; i < vocab; i += SS_THREADS) above += SS_E(i) > vn ? 1 : 0;
        int need = keep - ss_sum_i(above, iscratch);
        int clo = 0, chi = vocab - 1;   // cutoff = the smallest index c with #{i <= c : e_i == v_n} >= need
        while (clo < chi)
        {
            int mid = (clo + chi) / 2;
            int part = 0;
            for (int i = t; i <= mid; i += SS_THREADS) part += SS_E(i) == vn ? 1 : 0;
            if (ss_sum_i(part, iscratch) >= need) chi = mid; else clo = mid + 1;
        }
        cutoff = clo;
    }

    // the exponential race over the kept tokens with weight
    double bv = -1.0; int bi = 0x7fffffff;
    for (int i = t; i < vocab; i += SS_THREADS)
    {
        float e = SS_E(i);
        bool kept = vn < 0.0f || e > vn || (e == vn && i <= cutoff);
        if (!kept || !(e > 0.0f)) continue;
        double value = (double)e / ss_neg_log(ss_uniform(seed, counter, i));
        if (value > bv || (value == bv && i < bi)) { bv = value; bi = i; }
    }
    for (int o = 16; o > 0; o >>= 1)
    {
        double ov = __shfl_xor_sync(0xffffffffu, bv, o);
        int oi = __shfl_xor_sync(0xffffffffu, bi, o);
        if (ov > bv || (ov == bv && oi < bi)) { bv = ov; bi = oi; }
    }
    __syncthreads();
    if ((t & 31) == 0) { best_value[t >> 5] = bv; best_index[t >> 5] = bi; }
    __syncthreads();
    if (t == 0)
    {
        for (int w = 1; w < SS_WARPS; w++)
            if (best_value[w] > bv || (best_value[w] == bv && best_index[w] < bi)) { bv = best_value[w]; bi = best_index[w]; }
        best_value[0] = bv; best_index[0] = bi;
    }
    __syncthreads();
    if (best_index[0] == 0x7fffffff) SS_ARGMAX_AND_RETURN();
    if (t == 0) ids[blockIdx.x] = best_index[0];
    #undef SS_E
    #undef SS_ARGMAX_AND_RETURN
}
