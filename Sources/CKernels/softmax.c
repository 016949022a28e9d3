// See include/ckernels.h for why this loop is in C.
#include "ckernels.h"
#include <stdint.h>
#include <string.h>

static inline uint32_t bitsOf(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static inline float floatOf(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }

// VectorMath.exp of Tensor/VectorMath.swift, one lane, operation for operation. The constants are given
// by their bits, as Swift rounds its literals (through Float80 on x86), so that no decimal-to-float
// conversion can round differently.
static inline float expLane(float x) {
    const float lowest = floatOf(0xc2aea8f6u) /* -87.33 */, highest = 88.0f;
    const float shifter = floatOf(0x4b400000u) /* 1.5 * 2^23 */;
    float clamped = x < lowest ? lowest : x;
    clamped = x > highest ? highest : clamped;
    const float t = clamped * floatOf(0x3fb8aa3bu) /* log2 e */ + shifter;
    const float n = t - shifter;
    float r = clamped - n * floatOf(0x3f318000u) /* 0.693359375 */;
    r = r + n * floatOf(0x395e8083u) /* 2.1219444e-4 */;
    float p = floatOf(0x39506967u);
    p = p * r + floatOf(0x3ab743ceu);
    p = p * r + floatOf(0x3c088908u);
    p = p * r + floatOf(0x3d2aa9c1u);
    p = p * r + floatOf(0x3e2aaaaau);
    p = p * r + floatOf(0x3f000000u);
    const float er = p * (r * r) + r + 1.0f;
    const uint32_t exponent = (bitsOf(t) - bitsOf(shifter) + 127u) << 23;
    const float y = er * floatOf(exponent);
    return x < lowest ? 0.0f : y;
}

float genecoding_maximum_f32(const float *row, size_t count) {
    // Sixteen running maxima, lane l over row[16k + l]: a maximum does not depend on the order it is
    // taken in, and `x > m` never lets a NaN in, as the Swift loop's `where: v .> maxima`.
    float lanes[16];
    for (int l = 0; l < 16; l++) lanes[l] = -__builtin_inff();
    size_t j = 0;
    for (; j + 16 <= count; j += 16)
        for (int l = 0; l < 16; l++) lanes[l] = row[j + l] > lanes[l] ? row[j + l] : lanes[l];
    for (int l = 0; j + (size_t)l < count; l++) lanes[l] = row[j + l] > lanes[l] ? row[j + l] : lanes[l];
    float m = -__builtin_inff();
    for (int l = 0; l < 16; l++) m = lanes[l] > m ? lanes[l] : m;
    return m;
}

void genecoding_scale_f32(float *row, size_t count, float factor) {
#pragma clang loop vectorize_width(16) interleave_count(1)
    for (size_t j = 0; j < count; j++) row[j] = row[j] * factor;
}

void genecoding_softmax_exp_f32(float *row, size_t count, float maximum, float sums[8]) {
    // exp(x - max), sixteen lanes at a time on AVX-512
#pragma clang loop vectorize_width(16) interleave_count(1)
    for (size_t j = 0; j < count; j++) row[j] = expLane(row[j] - maximum);
    // The partial sums as the eight-wide Swift loop adds them: lane l takes row[8k + l], k increasing.
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= count; j += 8)
        for (int l = 0; l < 8; l++) acc[l] += row[j + l];
    for (int l = 0; j + (size_t)l < count; l++) acc[l] += row[j + l];
    memcpy(sums, acc, sizeof acc);
}
