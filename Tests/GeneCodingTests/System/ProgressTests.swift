import Foundation
import XCTest
@testable import GeneCoding

/// A clock the test moves by hand, and a sink that keeps what was written. Neither locks: the
/// reporter must call them under its own lock.
private final class Harness: @unchecked Sendable {
    var now = 1000.0
    var written: [String] = []
}

final class ProgressTests: XCTestCase {
    private func reporter(_ harness: Harness, terminal: Bool, width: Int = 200, totalSteps: Int = 100) -> ProgressReporter {
        ProgressReporter(label: "kmer:6 seed 1", totalSteps: totalSteps, totalEpochs: 3, interval: 10, isTerminal: terminal,
                 clock: { harness.now }, sink: { harness.written.append($0) }, width: { width })
    }

    func testWithoutATerminalPrintsAPlainLineEveryIntervalAndAtTheEnd() {
        let harness = Harness()
        let progress = reporter(harness, terminal: false)
        for step in 1...25 {
            harness.now += 1
            progress.update(step: step, epoch: 1, loss: 0.5, tokens: step * 1000)
        }
        XCTAssertEqual(harness.written.count, 2, "\(harness.written)")
        XCTAssertEqual(harness.written[0], "kmer:6 seed 1 · epoch 1/3 · step 10/100 · loss 0.5000 · 1k tok/s · ETA 1 min 30 s\n")
        XCTAssertTrue(harness.written[1].contains("step 20/100"))
        harness.now += 0.5
        progress.finish()
        XCTAssertEqual(harness.written.count, 3)
        XCTAssertEqual(harness.written[2], "kmer:6 seed 1 · epoch 1/3 · step 25/100 · loss 0.5000 · 980 tok/s · took 26 s\n")
        XCTAssertFalse(harness.written.joined().contains("\r"))
        // After the end nothing more is printed.
        harness.now += 100
        progress.update(step: 26, tokens: 1)
        progress.finish()
        XCTAssertEqual(harness.written.count, 3)
    }

    func testOnATerminalRedrawsOneLineAtMostTenTimesASecond() {
        let harness = Harness()
        let progress = reporter(harness, terminal: true)
        for step in 1...30 {
            harness.now += 0.0625  // exact in binary, so the 0.1 s threshold is met on every second update
            progress.update(step: step, epoch: 2, loss: 0.25, tokens: step * 100)
        }
        XCTAssertEqual(harness.written.count, 15, "one draw per 0.1 s of updates")
        for chunk in harness.written {
            XCTAssertTrue(chunk.hasPrefix("\r") && chunk.hasSuffix("\u{1B}[K"), chunk.debugDescription)
            XCTAssertFalse(chunk.contains("\n"))
        }
        progress.finish()
        XCTAssertEqual(harness.written.suffix(2).last, "\n")
        XCTAssertTrue(harness.written.suffix(2).first!.contains("took"))
    }

    func testTerminalLinesAreCutToTheWidth() {
        let harness = Harness()
        let progress = reporter(harness, terminal: true, width: 30)
        harness.now += 1
        progress.update(step: 1, loss: 1, tokens: 10)
        let drawn = harness.written[0].dropFirst().dropLast(3)
        XCTAssertEqual(drawn.count, 29)
        XCTAssertTrue(drawn.hasSuffix("…"))
    }

    func testLogPrintsAboveTheLine() {
        let harness = Harness()
        let progress = reporter(harness, terminal: true)
        harness.now += 1
        progress.update(step: 5, tokens: 10)
        progress.log("dev MCC 0.51")
        XCTAssertEqual(harness.written[1], "\r\u{1B}[Kdev MCC 0.51\n")
        XCTAssertTrue(harness.written[2].hasPrefix("\r") && harness.written[2].contains("step 5/100"))
    }

    func testRateAndETA() {
        let harness = Harness()
        let progress = ProgressReporter(label: "run", totalSteps: 1000, totalEpochs: nil, startStep: 400, interval: 10,
                                isTerminal: false, clock: { harness.now }, sink: { harness.written.append($0) })
        XCTAssertEqual(progress.line, "run · step 400/1000")
        harness.now += 60
        progress.update(step: 500, tokens: 12_300 * 60)
        // 100 steps a minute since the resume, 500 to go.
        XCTAssertEqual(progress.line, "run · step 500/1000 · 12.3k tok/s · ETA 5 min 00 s")
    }

    func testConcurrentUpdatesAreSerialised() {
        let harness = Harness()
        let progress = ProgressReporter(label: "threads", totalSteps: 100_000, totalEpochs: nil, interval: 0, isTerminal: false,
                                clock: { harness.now += 0.001; return harness.now }, sink: { harness.written.append($0) })
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for index in 0..<500 { progress.update(step: worker * 500 + index + 1, tokens: index) }
        }
        progress.finish()
        // With the interval at 0 every update draws: all 4000 lines and the final one, each whole.
        XCTAssertEqual(harness.written.count, 4001)
        XCTAssertTrue(harness.written.allSatisfy { $0.hasPrefix("threads · step ") && $0.hasSuffix("\n") })
    }
}
