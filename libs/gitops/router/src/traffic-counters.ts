import { LatencyHistogram } from './latency-histogram';

// Per (application, revision) counters over a window. The router records on the hot path; `snapshot()` hands the
// window to the health gates (shape of RuntimeHealthReported.traffic) and starts a new one.

export interface RevisionTraffic {
  revision: string;
  weight: number;
  requests: number;
  errors5xx: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface ApplicationTraffic {
  application: string;
  /** at most 4 entries, revisions of the current table first (the contract caps `traffic` at 4) */
  traffic: RevisionTraffic[];
  /** requests that found no ready backend (503) — they belong to no revision */
  unrouted: number;
}

export interface TrafficSnapshot {
  environment: string;
  windowStart: string;
  windowEnd: string;
  applications: ApplicationTraffic[];
}

export class RevisionCounter {
  requests = 0;
  errors5xx = 0;
  readonly latency = new LatencyHistogram();

  record(status: number, ms: number): void {
    this.requests++;
    if (status >= 500) this.errors5xx++;
    this.latency.record(ms);
  }
}

class ApplicationCounters {
  readonly revisions = new Map<string, RevisionCounter>();
  unrouted = 0;
}

export class TrafficCounters {
  private apps = new Map<string, ApplicationCounters>();
  private windowStart = new Date();

  constructor(private readonly now: () => Date = () => new Date()) {
    this.windowStart = now();
  }

  /** The counter of a revision in the current window; the router caches it per request, not per byte. */
  counter(application: string, revision: string): RevisionCounter {
    const app = this.app(application);
    let c = app.revisions.get(revision);
    if (c === undefined) {
      c = new RevisionCounter();
      app.revisions.set(revision, c);
    }
    return c;
  }

  recordUnrouted(application: string): void {
    this.app(application).unrouted++;
  }

  /** Returns the current window and starts a new one. `weights(app, revision)` reads the current table. */
  snapshot(environment: string, weights: (application: string, revision: string) => number | null): TrafficSnapshot {
    const snap = this.peek(environment, weights);
    this.apps = new Map();
    this.windowStart = new Date(snap.windowEnd);
    return snap;
  }

  /** The current window without resetting it. */
  peek(environment: string, weights: (application: string, revision: string) => number | null): TrafficSnapshot {
    const windowEnd = this.now();
    const applications = [...this.apps].map(([application, app]) => {
      const traffic = [...app.revisions].map(([revision, c]) => ({
        revision,
        current: weights(application, revision) !== null,
        weight: weights(application, revision) ?? 0,
        requests: c.requests,
        errors5xx: c.errors5xx,
        p50Ms: c.latency.percentile(0.5),
        p99Ms: c.latency.percentile(0.99),
      }));
      traffic.sort((a, b) => Number(b.current) - Number(a.current) || b.requests - a.requests);
      return {
        application,
        traffic: traffic.slice(0, 4).map(({ current: _current, ...t }) => t),
        unrouted: app.unrouted,
      };
    });
    return { environment, windowStart: this.windowStart.toISOString(), windowEnd: windowEnd.toISOString(), applications };
  }

  private app(application: string): ApplicationCounters {
    let app = this.apps.get(application);
    if (app === undefined) {
      app = new ApplicationCounters();
      this.apps.set(application, app);
    }
    return app;
  }
}
