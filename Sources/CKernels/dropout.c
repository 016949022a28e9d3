// See include/ckernels.h for why this loop is in C.
#include "ckernels.h"

// RandomSource.mix (SplitMix64's finaliser) of key + group * 0xD1B54A32D192ED03, as Dropout.groupBits.
static inline uint64_t groupBits(uint64_t key, uint64_t group) {
    uint64_t z = key + group * 0xD1B54A32D192ED03ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline float kept(uint64_t bits, int lane, uint32_t threshold) {
    return ((uint32_t)(bits >> (16 * lane)) & 0xFFFFu) >= threshold ? 1.0f : 0.0f;
}

// The loop over whole groups; inlined into both calls below, so that in the in-place one (forward and
// backward drop their own tensors) clang sees a single pointer and vectorises without the overlap check
// that would send two equal pointers to its scalar loop.
static inline __attribute__((always_inline)) void dropGroups(const float *x, float *y, size_t groups, uint64_t firstGroup,
                                                             uint64_t key, uint32_t threshold, float keep) {
    for (size_t g = 0; g < groups; g++) {
        const uint64_t bits = groupBits(key, firstGroup + g);
        for (int lane = 0; lane < 4; lane++) y[4 * g + lane] = x[4 * g + lane] * keep * kept(bits, lane, threshold);
    }
}

void genecoding_dropout_f32(const float *x, float *y, size_t groups, uint64_t firstGroup, uint64_t key,
                            uint32_t threshold, float keep) {
    if (x == y) dropGroups(y, y, groups, firstGroup, key, threshold, keep);
    else dropGroups(x, y, groups, firstGroup, key, threshold, keep);
}
