import { randomBytes } from 'node:crypto';
import { BusNames } from '@delivery/contracts';

// A bus namespace of its own per test file: its subjects and streams never meet another run's.
export function testBusNames(): BusNames {
  return new BusNames(`t${randomBytes(5).toString('hex')}`);
}

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
