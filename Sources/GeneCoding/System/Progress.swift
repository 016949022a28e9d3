// Progress of a training run, on standard error. (Named `ProgressReporter`, not `Progress`,
// which Foundation already takes.)
//
// On a terminal the report is one line redrawn in place (carriage return, then "clear to end of
// line"), at most a few times a second:
//
//     tokenization kmer:6 seed 1 · epoch 2/3 · step 1200/5000 · loss 0.4123 · 12.3k tok/s · ETA 4 min 10 s
//
// Without a terminal (make writing to a log, CI) redrawing would fill the log with carriage
// returns, so a plain line is printed every `interval` seconds and once at the end.
//
// Runs may report from worker threads; every call takes one lock, and the line is built and
// written under it, so lines never interleave.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class ProgressReporter: @unchecked Sendable {
    public let label: String
    public let totalSteps: Int
    public let totalEpochs: Int?
    /// The step the run resumed from (0 for a fresh run); the ETA counts only steps taken since.
    public let startStep: Int

    private let lock = NSLock()
    private let isTerminal: Bool
    private let interval: Double
    private let clock: @Sendable () -> Double
    private let sink: @Sendable (String) -> Void
    private let width: @Sendable () -> Int

    private let started: Double
    private var lastDrawn: Double
    private var epoch: Int?
    private var step = 0
    private var loss: Double?
    private var tokens = 0
    private var lineVisible = false
    private var finished = false

    /// A reporter writing to standard error, redrawing in place when that is a terminal.
    /// `totalSteps` is the number of optimiser steps of the whole run, every epoch included.
    public convenience init(label: String, totalSteps: Int, totalEpochs: Int? = nil, startStep: Int = 0,
                            interval: Double = 10) {
        let terminal = isatty(STDERR_FILENO) == 1
        self.init(label: label, totalSteps: totalSteps, totalEpochs: totalEpochs, startStep: startStep, interval: interval,
                  isTerminal: terminal,
                  clock: { ProcessInfo.processInfo.systemUptime },
                  sink: { text in FileHandle.standardError.write(Data(text.utf8)) },
                  width: { ProgressReporter.terminalWidth() })
    }

    /// A reporter with its clock, output and terminal width given, for tests.
    init(label: String, totalSteps: Int, totalEpochs: Int?, startStep: Int = 0, interval: Double, isTerminal: Bool,
         clock: @escaping @Sendable () -> Double, sink: @escaping @Sendable (String) -> Void,
         width: @escaping @Sendable () -> Int = { 120 }) {
        self.label = label
        self.totalSteps = max(totalSteps, 0)
        self.totalEpochs = totalEpochs
        self.startStep = startStep
        step = startStep
        self.interval = interval
        self.isTerminal = isTerminal
        self.clock = clock
        self.sink = sink
        self.width = width
        started = clock()
        lastDrawn = started
    }

    /// Records that the run reached `step` (counted from 1 over the whole run) in `epoch` (from 1),
    /// with the latest training loss, having processed `tokens` tokens since this reporter was made.
    public func update(step: Int, epoch: Int? = nil, loss: Double? = nil, tokens: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        self.step = step
        if let epoch { self.epoch = epoch }
        if let loss { self.loss = loss }
        self.tokens = tokens
        let now = clock()
        // A terminal line is cheap to redraw but not free; ten times a second is smooth enough.
        let due = isTerminal ? now - lastDrawn >= 0.1 : now - lastDrawn >= interval
        if due {
            lastDrawn = now
            draw(now: now)
        }
    }

    /// Prints `message` on a line of its own, above the progress line on a terminal.
    public func log(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        if isTerminal && lineVisible {
            sink("\r\u{1B}[K" + message + "\n")
            draw(now: clock())
        } else {
            sink(message + "\n")
        }
    }

    /// Prints the final state, ending the line. Later updates are ignored.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        draw(now: clock(), final: true)
        if isTerminal { sink("\n") }
    }

    /// The progress line for the state recorded so far.
    public var line: String {
        lock.lock()
        defer { lock.unlock() }
        return text(now: clock(), final: false)
    }

    // MARK: Drawing, with the lock held

    private func draw(now: Double, final: Bool = false) {
        var text = self.text(now: now, final: final)
        if isTerminal {
            // A line wider than the terminal wraps, and the carriage return then redraws only
            // its last part; so it is cut to fit.
            let columns = width()
            if columns > 1, text.count > columns - 1 { text = String(text.prefix(columns - 2)) + "…" }
            sink("\r" + text + "\u{1B}[K")
            lineVisible = true
        } else {
            sink(text + "\n")
        }
    }

    private func text(now: Double, final: Bool) -> String {
        let elapsed = max(now - started, 0)
        var parts = [label]
        if let epoch {
            parts.append(totalEpochs.map { "epoch \(epoch)/\($0)" } ?? "epoch \(epoch)")
        }
        parts.append("step \(step)/\(totalSteps)")
        if let loss { parts.append("loss " + Format.fixed(loss, 4)) }
        if elapsed > 0, tokens > 0 { parts.append(Format.compact(Double(tokens) / elapsed) + " tok/s") }
        if final {
            parts.append("took " + Format.duration(elapsed))
        } else if step > startStep, step < totalSteps, elapsed > 0 {
            parts.append("ETA " + Format.duration(elapsed / Double(step - startStep) * Double(totalSteps - step)))
        }
        return parts.joined(separator: " · ")
    }

    /// Columns of the terminal on standard error, or of `COLUMNS`, or 80.
    static func terminalWidth() -> Int {
        #if os(Linux) || os(macOS)
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        #endif
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return 80
    }
}
