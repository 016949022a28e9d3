// How the two cores are used.
//
// One pool of workers does everything: OpenBLAS is held to one thread, and a large matrix product
// is split across our workers by blocks of output rows (or columns), each block one single-threaded
// sgemm. We measured why: with OpenBLAS's own threads, its idle threads spin in sched_yield (13% of
// a width-128 training step) while our workers run the elementwise loops, and the two pools fight
// over 2 cores. The many small per-(batch, head) attention products are split across the same
// workers. Work is split into fixed contiguous blocks, so results do not depend on scheduling.
import CKernels
import COpenBLAS
import Dispatch

#if os(Linux)
/// glibc's mallopt (malloc.h is not part of Swift's Glibc module).
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

public enum ComputeThreads {
    nonisolated(unsafe) private static var current = 1

    /// Workers of our parallel loops, which also share out the blocks of a large matrix product
    /// (OpenBLAS itself always runs one thread: see the header).
    public static var count: Int { current }

    public static func set(_ threads: Int) {
        current = Swift.max(1, threads)
        openblas_set_num_threads(1)
        keepFreedMemory()
    }

    /// The OpenBLAS kernels this process runs ("SkylakeX", "Haswell", ...): they decide the rounding of
    /// every matrix product, so every result records them. CKernels/blascore.c says how they are chosen.
    public static var blasKernels: String { String(cString: genecoding_blas_core()) }

    /// A training step frees and reallocates the same large activation buffers. By default glibc
    /// maps each large block afresh and returns it on free, so every step pays the kernel to fault
    /// in and zero tens of megabytes again. Keeping freed memory in the heap removes that cost.
    public static func keepFreedMemory() {
        #if os(Linux)
        _ = glibcMallopt(-3, 1 << 30)        // M_MMAP_THRESHOLD (malloc.h)
        _ = glibcMallopt(-1, Int32.max)      // M_TRIM_THRESHOLD
        #endif
    }

}

extension ComputeThreads {
    /// Splits 0..<n into `count` contiguous ranges (none smaller than `minimum` items) and runs
    /// body on each in parallel. Each range is fixed by n and the thread count alone.
    public static func forRanges(_ n: Int, minimum: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = Swift.max(1, Swift.min(current, n / Swift.max(minimum, 1)))
        if workers <= 1 {
            if n > 0 { body(0..<n) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            body((n * w / workers)..<(n * (w + 1) / workers))
        }
    }

}
