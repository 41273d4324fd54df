// Fixed log-scale latency buckets (×1.25 per bucket from 0.1 ms): constant memory, O(1) record, percentiles
// within ~25 %, clamped to the observed min/max so a single sample reports its exact value.

const BASE_MS = 0.1;
const FACTOR = 1.25;
const LOG_FACTOR = Math.log(FACTOR);
export const HISTOGRAM_BUCKETS = 80; // 0.1 ms · 1.25^79 ≈ 4.4 h: the last bucket catches everything above

export class LatencyHistogram {
  private readonly counts = new Uint32Array(HISTOGRAM_BUCKETS);
  private total = 0;
  private min = Infinity;
  private max = 0;

  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const i = v <= BASE_MS ? 0 : Math.min(HISTOGRAM_BUCKETS - 1, Math.ceil(Math.log(v / BASE_MS) / LOG_FACTOR));
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.total++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  get count(): number {
    return this.total;
  }

  /** The p-quantile (0 < p ≤ 1) as the upper bound of its bucket, clamped to [min, max]; null when empty. */
  percentile(p: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(p * this.total));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) {
        const upper = i === HISTOGRAM_BUCKETS - 1 ? Infinity : BASE_MS * Math.pow(FACTOR, i);
        return round(Math.min(this.max, Math.max(this.min, upper)));
      }
    }
    return round(this.max);
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
