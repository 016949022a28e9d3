// See include/ckernels.h for why these loops are in C.
#include "ckernels.h"
#include "lanes.h"

// VectorMath.erf, one lane, operation for operation (constants by the bits Swift gives its literals).
static inline float erfLane(float x) {
    const float a = floatOf(bitsOf(x) & 0x7fffffffu);
    const float t = 1.0f / (1.0f + floatOf(0x3ea7ba05u) /* 0.3275911 */ * a);
    float p = floatOf(0x3f87dc22u);
    p = p * t - floatOf(0x3fba00e3u);
    p = p * t + floatOf(0x3fb5f0e3u);
    p = p * t - floatOf(0x3e91a98eu);
    p = p * t + floatOf(0x3e827906u);
    p = p * t;
    float magnitude = 1.0f - p * expLane(-(a * a));
    const float z = a * a;
    float s = floatOf(0xb41bbbe3u);          // -1 / (9! 19)
    s = s * z + floatOf(0x35c3d001u);
    s = s * z - floatOf(0x375debbdu);
    s = s * z + floatOf(0x38e00e01u);
    s = s * z - floatOf(0x3a46980cu);
    s = s * z + floatOf(0x3b97b426u);
    s = s * z - floatOf(0x3cc30c31u);
    s = s * z + floatOf(0x3dcccccdu);
    s = s * z - floatOf(0x3eaaaaabu);
    s = s * z + 1.0f;
    const float series = floatOf(0x3f906ebbu) /* 2 / sqrt(pi) */ * a * s;
    magnitude = a < 0.75f ? series : magnitude;
    return x < 0.0f ? -magnitude : magnitude;
}

// The loop of GELU's forward; inlined into both calls below, so that in the in-place one clang sees a
// single pointer and vectorises without the overlap check that would send two equal pointers to its
// scalar loop (evaluation computes GELU in place).
static inline __attribute__((always_inline)) void geluForward(const float *u, float *g, float *cdf, size_t count) {
    const float invSqrt2 = floatOf(0x3f3504f3u);
#pragma clang loop vectorize_width(16) interleave_count(1)
    for (size_t i = 0; i < count; i++) {
        const float x = u[i];
        const float phi = 0.5f * (1.0f + erfLane(x * invSqrt2));
        cdf[i] = phi;
        g[i] = x * phi;
    }
}

void genecoding_gelu_forward_f32(const float *u, float *g, float *cdf, size_t count) {
    if (u == g) geluForward(g, g, cdf, count);
    else geluForward(u, g, cdf, count);
}

void genecoding_gelu_backward_f32(const float *restrict dg, const float *restrict u, const float *restrict cdf, float *restrict du,
                                  size_t count) {
    const float invSqrt2Pi = floatOf(0x3ecc422au);
#pragma clang loop vectorize_width(16) interleave_count(1)
    for (size_t i = 0; i < count; i++) {
        const float x = u[i];
        const float pdf = expLane(-0.5f * x * x) * invSqrt2Pi;
        du[i] = dg[i] * (cdf[i] + x * pdf);
    }
}
