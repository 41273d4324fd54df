import request from 'supertest';
import type { RunningService } from '@delivery/service-kit';
import { createServiceFixture, type ServiceFixture } from '@delivery/testing';
import { opsService } from '../src/ops.service';

// Per test file: a namespace of its own on the real NATS, a database of its own on the real Postgres, and the
// ops app bootstrapped in-process exactly as main.ts does it (more services can join with start()).
export interface OpsFixture extends Omit<ServiceFixture, 'http'> {
  ops: RunningService;
  http(): ReturnType<typeof request>;
}

export async function startOps(): Promise<OpsFixture> {
  const fx = await createServiceFixture('ops');
  const ops = await fx.start(opsService());
  return { ...fx, ops, http: () => request(ops.url) };
}
