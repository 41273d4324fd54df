import { Global, Inject, Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { Logger } from 'pino';
import { HealthController } from './health.controller';
import { HttpTraceMiddleware } from './http-trace.middleware';
import { createLogger } from './logger';
import { MetricsController } from './metrics.controller';
import { platformMetrics, PlatformMetrics } from './metrics';
import { ReadinessRegistry } from './readiness.registry';

export const PINO_LOGGER = Symbol('PINO_LOGGER');
const OPTIONS = Symbol('OBSERVABILITY_OPTIONS');

export interface ObservabilityModuleOptions {
  service: string;
  /** defaults to a createLogger({ service }) logger */
  logger?: Logger;
  /** defaults to the process-wide platformMetrics() */
  metrics?: PlatformMetrics;
  /** apply the traceparent middleware to every route (default true) */
  traceRequests?: boolean;
}

// Global: any module (messaging, the service kit) can inject ReadinessRegistry, PlatformMetrics and the logger.
@Global()
@Module({})
export class ObservabilityModule implements NestModule {
  constructor(@Inject(OPTIONS) private readonly options: ObservabilityModuleOptions) {}

  static forRoot(options: ObservabilityModuleOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: OPTIONS, useValue: options },
        ReadinessRegistry,
        { provide: PlatformMetrics, useValue: options.metrics ?? platformMetrics() },
        { provide: PINO_LOGGER, useValue: options.logger ?? createLogger({ service: options.service }) },
      ],
      exports: [ReadinessRegistry, PlatformMetrics, PINO_LOGGER],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    if (this.options.traceRequests ?? true) consumer.apply(HttpTraceMiddleware).forRoutes('{*splat}');
  }
}
