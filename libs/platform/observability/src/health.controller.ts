import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { PublicRoute } from './public-route';
import { ReadinessRegistry } from './readiness.registry';

@PublicRoute()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessRegistry,
  ) {}

  // Liveness checks nothing external: a restart would not fix a dependency that is down.
  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  async ready(): Promise<HealthCheckResult> {
    const checks = this.readiness.names().map((name) => async () => {
      const outcome = await this.readiness.check(name);
      const session = this.indicators.check(name);
      return outcome.ok
        ? session.up({ durationMs: outcome.durationMs })
        : session.down({ message: outcome.error ?? 'failed', durationMs: outcome.durationMs });
    });
    if (this.readiness.isDraining) {
      checks.push(async () => this.indicators.check('shutdown').down({ message: 'shutting down', durationMs: 0 }));
    }
    try {
      return await this.health.check(checks);
    } catch (error) {
      // Terminus answers 503 with the details; name the failing checks up front for people and probes' logs.
      if (error instanceof ServiceUnavailableException) {
        const body = error.getResponse() as HealthCheckResult;
        const { status, info, error: failed, details } = body;
        throw new ServiceUnavailableException({ status, failing: Object.keys(failed ?? {}), info, error: failed, details });
      }
      throw error;
    }
  }
}
