// The statistics of the lab: pure functions over arrays of samples, with no Node APIs, so the
// engine, the CLI and the renderer can all use them. See README.md for the methods.
export { bootstrapRatioOfMedians, DEFAULT_RESAMPLES, DEFAULT_SEED, type BootstrapOptions, type RatioInterval } from './bootstrap';
export { compare, fmtP, formatRatio, type Comparison, type CompareOptions, type Verdict } from './compare';
export { gate, type GateCase, type GateOptions, type GateResult, type GateSeries, type GateStatus } from './gate';
export { formatSummary, formatValue, gateJUnit, gateMarkdown, xmlEscape } from './gate-report';
export { mannWhitneyU, type MannWhitneyResult } from './mann-whitney';
export { metricDirection, type Direction } from './metrics';
export { noiseGuard, TOO_NOISY, withNoiseFlag, type AaCheck, type NoiseGuard } from './noise';
export { repeatDecision, repeatPolicyErrors, roundDecision, type RepeatDecision, type RepeatPolicy, type RepeatReason } from './repeats';
export { mulberry32, seedFrom, toSeed, type RandomSource } from './rng';
export { signedRankOfRatios, wilcoxonSignedRank, type SignedRankResult } from './signed-rank';
export { medianIntervalRanks, minSamplesForInterval, summarize, type Summary } from './summary';
