import type { schemas } from '@delivery/contracts';
import type { GateProgress, GateResult } from './promotion.state';

export interface Verdict {
  outcome: 'pass' | 'fail' | 'wait';
  observed: GateResult['observed'];
  message: string;
}

/** The seconds after a step synced at which a time-bound gate must be looked at again, if it has such a moment. */
export function gateDueSeconds(gate: schemas.HealthGate): number | undefined {
  if (gate.kind === 'http-probe') return gate.timeoutSeconds;
  if (gate.kind === 'soak') return gate.minSeconds;
  return undefined;
}

// One gate against what the step's revision showed since it synced. Error rate and latency wait for data (the
// promotion deadline bounds the wait); the probe streak has its own deadline and the soak is pure time.
export function evaluateGate(gate: schemas.HealthGate, progress: GateProgress, syncedAt: string, now: Date): Verdict {
  const elapsed = Math.max(0, (now.getTime() - Date.parse(syncedAt)) / 1000);
  switch (gate.kind) {
    case 'http-probe': {
      const observed = { consecutiveSuccesses: progress.consecutive, ...(typeof progress.lastStatus === 'number' ? { httpStatus: progress.lastStatus } : {}) };
      if (progress.consecutive >= gate.consecutiveSuccesses) return { outcome: 'pass', observed, message: `${progress.consecutive} consecutive ok probes of ${gate.path}` };
      if (elapsed >= gate.timeoutSeconds) {
        return { outcome: 'fail', observed, message: `${progress.consecutive} of ${gate.consecutiveSuccesses} consecutive ok probes of ${gate.path} within ${gate.timeoutSeconds}s` };
      }
      return { outcome: 'wait', observed, message: 'probing' };
    }
    case 'error-rate': {
      const errorRate = progress.requests === 0 ? 0 : progress.errors / progress.requests;
      const observed = { requests: progress.requests, errorRate };
      if (progress.requests < gate.minRequests) return { outcome: 'wait', observed, message: `${progress.requests} of ${gate.minRequests} requests` };
      return errorRate <= gate.maxErrorRate
        ? { outcome: 'pass', observed, message: `error rate ${rate(errorRate)} ≤ ${rate(gate.maxErrorRate)} over ${progress.requests} requests` }
        : { outcome: 'fail', observed, message: `error rate ${rate(errorRate)} > ${rate(gate.maxErrorRate)} over ${progress.requests} requests` };
    }
    case 'latency': {
      if (progress.p99Ms === undefined) return { outcome: 'wait', observed: {}, message: 'no latency reported yet' };
      const observed = { p99Ms: progress.p99Ms };
      return progress.p99Ms <= gate.maxP99Ms
        ? { outcome: 'pass', observed, message: `p99 ${progress.p99Ms} ms ≤ ${gate.maxP99Ms} ms` }
        : { outcome: 'fail', observed, message: `p99 ${progress.p99Ms} ms > ${gate.maxP99Ms} ms` };
    }
    case 'soak': {
      const observed = { soakedSeconds: Math.floor(elapsed) };
      return elapsed >= gate.minSeconds ? { outcome: 'pass', observed, message: `soaked ${Math.floor(elapsed)}s ≥ ${gate.minSeconds}s` } : { outcome: 'wait', observed, message: 'soaking' };
    }
  }
}

const rate = (value: number) => `${(value * 100).toFixed(2)}%`;
