// Element loops that Swift cannot vectorise on Linux, written in C for clang to vectorise.
//
// Swift's Float.squareRoot() goes through a C shim that calls libm's sqrtf, which on Linux may set
// errno, so neither a scalar nor a SIMD8 square root becomes the vector instruction: an eight-wide
// AdamW update made eight calls to sqrtf per group and took 10% of a small model's training step.
// Compiled with -fno-math-errno the same loop is vsqrtps. It is also compiled with
// -ffp-contract=off, so a * b + c is never fused into one rounding: every element is computed with
// the operations the Swift reference loop writes, in its order, and each of them (including sqrt and
// division) is correctly rounded, so the results are the same bit for bit at any vector width
// (tested against the Swift loop in AdamWTests).
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// One AdamW step on n elements (see Training/AdamW.swift for the formula and its order):
///   g' = g * clip;  m = b1 m + (1 - b1) g';  v = b2 v + ((1 - b2) g') g'
///   theta = theta * decay - stepSize * m / (sqrt(v) / rootCorrection2 + epsilon)
void genecoding_adamw_update_f32(float *theta, const float *g, float *m, float *v, size_t n,
                                 float b1, float b2, float clip, float epsilon, float stepSize,
                                 float rootCorrection2, float decay);

/// Dropout of groups * 4 elements starting at a group boundary: element 4g + l (g counted from
/// firstGroup) is kept when the l-th 16-bit field of SplitMix64's finaliser of key + g * 0xD1B54A32D192ED03
/// is at least threshold, and y = (x * keep) * (1 or 0), as Model/Dropout.swift's scalar loop computes
/// it. Clang vectorises the 64-bit hash eight groups wide (Swift would not); x may be y.
void genecoding_dropout_f32(const float *x, float *y, size_t groups, uint64_t firstGroup, uint64_t key,
                            uint32_t threshold, float keep);

/// The exponentials of a softmax row: row[j] = exp(row[j] - maximum) with VectorMath.exp's operations,
/// sixteen lanes wide, and sums[l] = the sum of row[8k + l] over k in increasing order, the eight
/// partial sums of the Swift loop (Tensor/VectorMath.swift, softmaxRowFloat8), which adds them up.
void genecoding_softmax_exp_f32(float *row, size_t count, float maximum, float sums[8]);

/// The largest of row[0 ..< count] that is not NaN (-infinity if none), as softmax's first pass takes it.
float genecoding_maximum_f32(const float *row, size_t count);

/// row[j] = row[j] * factor, softmax's last pass.
void genecoding_scale_f32(float *row, size_t count, float factor);

/// GELU's forward and backward (Tensor/VectorMath.swift, geluForwardFloat8 and geluBackwardFloat8) with
/// VectorMath.erf's and exp's operations, lane by lane, sixteen lanes wide:
///   cdf = 0.5 (1 + erf(u / sqrt 2)), g = u cdf;   du = dg (cdf + u exp(-u^2 / 2) / sqrt(2 pi))
/// g may be u (evaluation computes GELU in place); nothing else may overlap.
void genecoding_gelu_forward_f32(const float *u, float *g, float *cdf, size_t count);
void genecoding_gelu_backward_f32(const float *dg, const float *u, const float *cdf, float *du, size_t count);

/// OpenBLAS's name for the kernels it runs ("SkylakeX", "Haswell", ...). See blascore.c for how the
/// project chooses them.
const char *genecoding_blas_core(void);

/// A part of a parallel job: task(context, part) for part in 0 ..< parts.
typedef void (*genecoding_pool_task)(void *context, long part);

/// Runs task(context, 0 ..< parts) and returns when all are done: part 0 on the calling thread, the
/// others on the pool's helper threads, which wait for the next job by spinning for about 50
/// microseconds and then sleeping. Dispatch's concurrentPerform wakes its workers from sleep for
/// every job; a training step of a small model runs a few hundred such jobs, and the wake-ups were
/// a tenth of its time (pool.c). A job started while another runs runs its parts in order on its caller.
void genecoding_pool_run(long parts, genecoding_pool_task task, void *context);

#endif
