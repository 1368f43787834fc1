/** Percentile by nearest rank over a copy of the samples (ms). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length) - 1;
  return s[Math.min(s.length - 1, Math.max(0, rank))] as number;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export interface Latency {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function latency(samples: readonly number[]): Latency {
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p90: percentile(samples, 90),
    p99: percentile(samples, 99),
    max: percentile(samples, 100),
  };
}

/**
 * Medians, per statistic, over rounds: each round's p50/p99 is computed from that round's
 * samples, then the median round value is reported (noisy shared machines: one slow round
 * must not decide the figure).
 */
export function medianLatency(rounds: readonly Latency[]): Latency {
  const pick = (k: keyof Latency) => median(rounds.map((r) => r[k]));
  return { n: pick("n"), p50: pick("p50"), p90: pick("p90"), p99: pick("p99"), max: pick("max") };
}

/** `1.23` ms with sensible precision. */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return "—";
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}

export function ratio(ours: number, theirs: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0) return "—";
  return `${(ours / theirs).toFixed(2)}×`;
}

export function int(v: number): string {
  return Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "—";
}

/** Cheap shared-machine hygiene between measurements. */
export function sleep(msToWait: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msToWait));
}
