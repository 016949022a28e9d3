// The one training loop: epochs of shuffled batches, forward, loss, backward, AdamW under the
// learning-rate schedule, a checkpoint after every epoch. Classification (Trainer.swift) and
// masked-language-model pretraining (Pretrainer.swift) differ only in what a batch is, how its loss
// counts in the epoch's mean, and what is measured after an epoch; those are their `TrainingObjective`.
//
// Resuming from a checkpoint's state restores the parameters and copies of the optimiser's moments
// (the optimiser updates its moments in place, and the caller's state must stay as it was saved), so a
// run resumed after epoch e continues exactly as if it had never stopped. Training time counts the
// optimiser steps of every epoch, across resumptions, and not the evaluation after it.

/// The part of training that differs between a classifier and a pretrained encoder.
protocol TrainingObjective: AnyObject {
    var parameters: ParameterStore<Float> { get }
    /// Examples in one epoch.
    var exampleCount: Int { get }
    /// The order of the examples in an epoch: a permutation fixed by (seed, epoch).
    func order(epoch: Int) -> [Int]
    /// Forward pass and loss of the batch of examples `indices` at optimiser step `step` (which fixes
    /// its dropout masks and any corruption); `backward` then accumulates the gradients. `weight` is how
    /// much the loss counts in the epoch's mean (examples, or masked tokens); `tokens` the real tokens.
    func loss(_ indices: ArraySlice<Int>, step: Int) -> (loss: Double, weight: Int, tokens: Int, backward: () -> Void)
    /// After each epoch, with the epoch's mean loss: measure, and note what the state keeps (curves,
    /// best parameters).
    func finishEpoch(_ epoch: Int, meanLoss: Double, state: inout TrainerState<Float>)
}

struct TrainingLoop {
    let epochs: Int
    let batchSize: Int
    let optimizer: OptimizerSettings
    let lossCurveStride: Int

    init(epochs: Int, batchSize: Int, optimizer: OptimizerSettings, examples: Int) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        lossCurveStride = Swift.max(1, Self.stepsPerEpoch(examples, batchSize) * epochs / 500)
    }

    static func stepsPerEpoch(_ examples: Int, _ batchSize: Int) -> Int { (examples + batchSize - 1) / batchSize }

    /// Trains from scratch, or from `state` when resuming, and returns the state after the last epoch.
    func run(_ objective: TrainingObjective, resumingFrom state: TrainerState<Float>?, initial: TrainerState<Float>,
             progress: ((TrainingProgress) -> Void)?, checkpoint: ((TrainerState<Float>) throws -> Void)?) throws -> TrainerState<Float> {
        let parameters = objective.parameters
        let adamW = AdamW(parameters, settings: optimizer)
        let totalSteps = Self.stepsPerEpoch(objective.exampleCount, batchSize) * epochs
        let schedule = LearningRateSchedule(peak: optimizer.learningRate, totalSteps: totalSteps, warmupFraction: optimizer.warmupFraction)
        var current = state ?? initial
        if let state {
            parameters.restore(state.parameters)
            adamW.restore(step: state.step, moments: state.moments.map { ($0.m.copy(), $0.v.copy()) })
        }
        var tokensThisCall = 0
        for epoch in stride(from: current.epochsDone + 1, through: epochs, by: 1) {
            let started = ContinuousClock.now
            var epochLoss = 0.0, epochWeight = 0, epochTokens = 0
            let order = objective.order(epoch: epoch)
            for batchStart in stride(from: 0, to: order.count, by: batchSize) {
                let indices = order[batchStart..<Swift.min(batchStart + batchSize, order.count)]
                let (loss, weight, tokens, backward) = objective.loss(indices, step: current.step)
                guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: current.step, epoch: epoch, loss: loss) }
                parameters.zeroGradients()
                backward()
                adamW.update(parameters, learningRate: schedule.rate(at: current.step))
                if current.step % lossCurveStride == 0 { current.lossCurve.append(loss) }
                current.step += 1
                epochLoss += loss * Double(weight)
                epochWeight += weight
                epochTokens += tokens
                tokensThisCall += tokens
                progress?(TrainingProgress(epoch: epoch, epochs: epochs, step: current.step, totalSteps: totalSteps,
                                           loss: loss, tokens: tokensThisCall))
            }
            let elapsed = ContinuousClock.now - started
            current.trainingSeconds += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            current.trainedTokens += epochTokens
            objective.finishEpoch(epoch, meanLoss: epochLoss / Double(Swift.max(epochWeight, 1)), state: &current)
            current.epochsDone = epoch
            current.parameters = parameters.snapshot()
            current.moments = adamW.moments.map { ($0.m.copy(), $0.v.copy()) }
            try checkpoint?(current)
        }
        return current
    }
}
