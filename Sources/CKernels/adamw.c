// See include/ckernels.h for why this loop is in C.
#include "ckernels.h"
#include <math.h>

void genecoding_adamw_update_f32(float *restrict theta, const float *restrict g, float *restrict m, float *restrict v,
                                 size_t n, float b1, float b2, float clip, float epsilon, float stepSize,
                                 float rootCorrection2, float decay) {
    const float oneMinusB1 = 1.0f - b1, oneMinusB2 = 1.0f - b2;
    for (size_t i = 0; i < n; i++) {
        const float gi = g[i] * clip;
        const float mi = b1 * m[i] + oneMinusB1 * gi;
        const float vi = b2 * v[i] + oneMinusB2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        theta[i] = theta[i] * decay - stepSize * mi / (sqrtf(vi) / rootCorrection2 + epsilon);
    }
}
