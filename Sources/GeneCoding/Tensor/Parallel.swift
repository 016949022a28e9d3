// How the two cores are used.
//
// One pool of workers does everything: OpenBLAS is held to one thread, and a large matrix product
// is split across our workers by blocks of output rows (or columns), each block one single-threaded
// sgemm. We measured why: with OpenBLAS's own threads, its idle threads spin in sched_yield (13% of
// a width-128 training step) while our workers run the elementwise loops, and the two pools fight
// over 2 cores. The many small per-(batch, head) attention products are split across the same
// workers. Work is split into fixed contiguous blocks, so results do not depend on scheduling.
// The workers are our own (CKernels/pool.c), which spin briefly between jobs instead of sleeping:
// Dispatch's, woken from sleep for each of a small model's few hundred parallel loops a step, spent
// a tenth of the step in the kernel's scheduler.
import CKernels
import COpenBLAS
import Dispatch
import Foundation

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
    /// body on each in parallel. Each range is fixed by n and the thread count alone, and every caller
    /// computes each element (or row) from its own inputs only, so results do not depend on how the
    /// ranges are run: on the pool's threads, in order on one thread, or by Dispatch (`forRangesByDispatch`).
    public static func forRanges(_ n: Int, minimum: Int = 1, _ body: (Range<Int>) -> Void) {
        if runsOnDispatch { return forRangesByDispatch(n, minimum: minimum, body) }
        let workers = Swift.max(1, Swift.min(current, n / Swift.max(minimum, 1)))
        if workers <= 1 {
            if n > 0 { body(0..<n) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var job = RangeJob(n: n, workers: workers, body: body)
            withUnsafeMutablePointer(to: &job) { context in
                genecoding_pool_run(workers, { context, part in
                    let job = context!.assumingMemoryBound(to: RangeJob.self).pointee
                    job.body(job.range(part))
                }, context)
            }
        }
    }

    /// When true, forRanges runs on Dispatch (the tests compare the two ways; GENECODING_POOL=dispatch
    /// sets it for a whole process, to compare speed).
    nonisolated(unsafe) static var runsOnDispatch = ProcessInfo.processInfo.environment["GENECODING_POOL"] == "dispatch"

    /// forRanges on Dispatch's workers instead of the pool (the way it ran before the pool; the tests
    /// hold the two to the same results).
    public static func forRangesByDispatch(_ n: Int, minimum: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = Swift.max(1, Swift.min(current, n / Swift.max(minimum, 1)))
        if workers <= 1 {
            if n > 0 { body(0..<n) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            body(RangeJob.range(w, of: n, workers: workers))
        }
    }

    /// One forRanges call, as the pool's C threads see it.
    private struct RangeJob {
        let n: Int, workers: Int
        let body: (Range<Int>) -> Void
        func range(_ part: Int) -> Range<Int> { Self.range(part, of: n, workers: workers) }
        static func range(_ part: Int, of n: Int, workers: Int) -> Range<Int> {
            (n * part / workers)..<(n * (part + 1) / workers)
        }
    }
}
