// One lane of VectorMath.exp (Tensor/VectorMath.swift), operation for operation, for the C loops that
// clang vectorises sixteen lanes wide (softmax.c, gelu.c). The constants are given by their bits, as
// Swift rounds its literals (through Float80 on x86), so that no decimal-to-float conversion can round
// differently; the C kernels are compiled without contracting a * b + c into fused multiply-adds.
#ifndef GENECODING_LANES_H
#define GENECODING_LANES_H

#include <stdint.h>
#include <string.h>

static inline uint32_t bitsOf(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static inline float floatOf(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }

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

#endif
