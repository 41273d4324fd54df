import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EventStore } from '@delivery/eventstore';
import type { DesiredApplication, RuntimeAdapter } from '@delivery/gitops-runtime';
import type { ApplicationTraffic } from '@delivery/gitops-router';
import { createEnvelope } from '@delivery/messaging';
import { appendAll, EVENT_STORE, type StreamAppend } from '@delivery/service-kit';
import { runtimeHealthPayload, type ProbeResult } from '../domain/runtime-health.report';
import { RUNTIME_ADAPTER } from '../runtime.provider';
import { appStream, SOURCE } from '../sync/application.reconciler';
import { syncedApplications, type AppKey } from '../sync/applications.store';
import { SYNC_SETTINGS, type SyncSettings } from '../triggers/sync.settings';
import { telemetryOf, type RuntimeTelemetry } from './runtime.telemetry';

// RuntimeHealthReported per synced application and environment, every healthReportIntervalMs: the workloads'
// health (observe), a probe of each workload's healthPath, and the router's per-revision counters of the window.
// An in-process loop, not a durable timer: a report missed while the service is down is not owed to anyone.
@Injectable()
export class RuntimeHealthReporter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RuntimeHealthReporter');
  private readonly telemetry: RuntimeTelemetry;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  /** per environment: where the next window starts when the runtime has no counters of its own */
  private readonly lastReport = new Map<string, Date>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(RUNTIME_ADAPTER) private readonly runtime: RuntimeAdapter,
    @Inject(SYNC_SETTINGS) private readonly settings: SyncSettings,
  ) {
    this.telemetry = telemetryOf(runtime);
  }

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.report()
        .catch((error: Error) => this.logger.warn(`health report failed: ${error.message}`))
        .finally(() => this.schedule());
    }, this.settings.healthReportIntervalMs);
    this.timer.unref();
  }

  /** One round: every environment's counters once (reading them resets the router's window), then each application. */
  async report(): Promise<void> {
    const apps = await syncedApplications(this.dataSource.manager);
    const appends: StreamAppend[] = [];
    for (const environment of new Set(apps.map((a) => a.key.environment))) {
      if (this.stopped) return;
      const now = new Date();
      const snapshot = await this.telemetry.traffic(environment).catch((error: Error) => {
        this.logger.warn(`traffic of ${environment}: ${error.message}`);
        return null;
      });
      const windowStart = snapshot ? new Date(snapshot.windowStart) : (this.lastReport.get(environment) ?? new Date(now.getTime() - this.settings.healthReportIntervalMs));
      const windowEnd = snapshot ? new Date(snapshot.windowEnd) : now;
      this.lastReport.set(environment, windowEnd);
      for (const { key, applied } of apps.filter((a) => a.key.environment === environment)) {
        const traffic = snapshot?.applications.find((a) => a.application === key.application);
        appends.push(await this.reportOne(key, applied, windowStart, windowEnd, traffic));
      }
    }
    if (appends.length > 0) await this.dataSource.transaction((manager) => appendAll(this.store, appends, manager));
  }

  private async reportOne(key: AppKey, applied: DesiredApplication, windowStart: Date, windowEnd: Date, traffic: ApplicationTraffic | undefined): Promise<StreamAppend> {
    const observed = await this.runtime.observe(key.environment, key.application);
    const probes: ProbeResult[] = [];
    // one probe per distinct healthPath: through a router the slot that answers is not chosen by us
    for (const path of new Set(applied.workloads.map((w) => w.healthPath).filter((p): p is string => p !== null))) {
      const outcome = await this.telemetry.probe({ environment: key.environment, application: key.application, path });
      if (outcome) probes.push({ revision: applied.revision, path, ...outcome });
    }
    const samples = (traffic?.traffic ?? []).map((t) => ({ revision: t.revision, weight: t.weight, requests: t.requests, errors5xx: t.errors5xx, latenciesMs: [] }));
    const payload = runtimeHealthPayload({
      environment: key.environment,
      application: key.application,
      windowStart,
      windowEnd,
      workloads: observed.workloads.map((w) => w.health),
      probes,
      traffic: samples,
    });
    // the router already computed the window's percentiles from its histogram
    const withLatency = payload.traffic.map((t) => {
      const counted = traffic?.traffic.find((c) => c.revision === t.revision);
      return { ...t, p50Ms: counted?.p50Ms ?? null, p99Ms: counted?.p99Ms ?? null };
    });
    const envelope = createEnvelope('RuntimeHealthReported', { ...payload, traffic: withLatency }, { source: SOURCE, tenantId: key.tenantId, projectId: key.projectId });
    return { stream: appStream(key), events: [envelope] };
  }
}
