// See include/ckernels.h for why this loop is in C.
#include "ckernels.h"

void genecoding_dropout_f32(const float *x, float *y, size_t groups, uint64_t firstGroup, uint64_t key,
                            uint32_t threshold, float keep) {
    for (size_t g = 0; g < groups; g++) {
        // RandomSource.mix (SplitMix64's finaliser) of key + group * 0xD1B54A32D192ED03, as Dropout.groupBits.
        uint64_t z = key + (firstGroup + g) * 0xD1B54A32D192ED03ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        for (int lane = 0; lane < 4; lane++) {
            const uint32_t coin = (uint32_t)(z >> (16 * lane)) & 0xFFFFu;
            const float kept = coin >= threshold ? 1.0f : 0.0f;
            y[4 * g + lane] = x[4 * g + lane] * keep * kept;
        }
    }
}
