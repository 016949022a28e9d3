// Which OpenBLAS kernels a process uses, decided before OpenBLAS starts.
//
// OpenBLAS picks its matrix kernels when it is loaded, by the CPU it finds or by the OPENBLAS_CORETYPE
// variable, read once at load time before any code of ours runs. The kernels decide the rounding of
// every product, so two programs of the project on one machine must not choose differently; and on
// CPUs with AVX-512 the AVX-512 ("SkylakeX") kernels, small-matrix kernels included, train this
// project's small models about a third faster than the AVX2 ("Haswell") ones, which OpenBLAS 0.3.21
// falls back to on CPUs it does not know by name (this project's AMD EPYC, family 26; the machine's
// environment here even sets OPENBLAS_CORETYPE=Haswell for every process).
//
// So the project chooses: GENECODING_BLAS_KERNELS=auto (the default) asks for SkylakeX when the CPU
// has the AVX-512 subsets those kernels use (F, CD, BW, DQ, VL, with the OS saving their state) and
// leaves OpenBLAS's choice otherwise; =openblas always leaves OpenBLAS's choice (or the user's
// OPENBLAS_CORETYPE). When the choice differs from what the environment holds, this constructor sets
// OPENBLAS_CORETYPE and starts the program again with the same arguments (exec replaces the process;
// nothing has run yet). Every program of the project (the command line, the chapters, the tests) then
// runs the same kernels on a given machine, and each result records which (openblas_get_corename).
#define _GNU_SOURCE
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__linux__)
static int has_skylakex_features(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned int f = 1u << 16, dq = 1u << 17, cd = 1u << 28, bw = 1u << 30, vl = 1u << 31;
    if ((ebx & (f | dq | cd | bw | vl)) != (f | dq | cd | bw | vl)) return 0;
    // The operating system must save the AVX-512 state (XCR0 bits 5-7, and 1-2 for SSE/AVX).
    unsigned int xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    return (xcr0_low & 0xE6) == 0xE6;
}

__attribute__((constructor)) static void genecoding_pin_blas_core(int argc, char **argv, char **envp) {
    (void)argc; (void)envp;
    const char *choice = getenv("GENECODING_BLAS_KERNELS");
    if (choice != NULL && strcmp(choice, "openblas") == 0) return;
    if (!has_skylakex_features()) return;
    const char *current = getenv("OPENBLAS_CORETYPE");
    if (current != NULL && strcasecmp(current, "SKYLAKEX") == 0) return;   // chosen already (or by the user)
    if (setenv("OPENBLAS_CORETYPE", "SKYLAKEX", 1) != 0) return;
    execv("/proc/self/exe", argv);
    // exec failed (no /proc): carry on with OpenBLAS's choice; the record says which kernels ran.
}
#endif

// The kernels OpenBLAS runs with, as it names them; and a reference from Swift, which also keeps this
// file (and its constructor) in the link.
extern char *openblas_get_corename(void);
const char *genecoding_blas_core(void) {
    return openblas_get_corename();
}
