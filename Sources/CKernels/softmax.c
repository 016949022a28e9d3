// See include/ckernels.h for why this loop is in C.
#include "ckernels.h"
#include "lanes.h"

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
