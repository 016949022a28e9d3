// How the two cores are used.
//
// Large matrix products use OpenBLAS's own threads. The many small per-(batch, head) attention
// products are too small for BLAS threading to help, so those loops are split across our own
// workers instead, while BLAS is held to one thread. Work is split into fixed contiguous chunks,
// so results do not depend on scheduling.
import COpenBLAS
import Dispatch

public enum ComputeThreads {
    nonisolated(unsafe) private static var current = 1

    /// Number of threads for BLAS and for our parallel loops.
    public static var count: Int { current }

    public static func set(_ threads: Int) {
        current = Swift.max(1, threads)
        openblas_set_num_threads(Int32(current))
    }

    /// Runs body(i) for i in 0..<n on up to `count` workers, with BLAS single-threaded inside.
    public static func forEach(_ n: Int, _ body: (Int) -> Void) {
        let workers = Swift.min(current, n)
        if workers <= 1 {
            for i in 0..<n { body(i) }
            return
        }
        openblas_set_num_threads(1)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = n * w / workers, end = n * (w + 1) / workers
            for i in start..<end { body(i) }
        }
        openblas_set_num_threads(Int32(current))
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

    /// Like forRanges, with BLAS held to one thread inside: for loops whose items call BLAS.
    public static func forRangesCallingBLAS(_ n: Int, _ body: (Range<Int>) -> Void) {
        if current <= 1 || n <= 1 { if n > 0 { body(0..<n) }; return }
        openblas_set_num_threads(1)
        forRanges(n, body)
        openblas_set_num_threads(Int32(current))
    }
}
