import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase } from '@delivery/testing';
import { commitHeadsDdl, upsertHeadSql } from './commit-heads.table';
import { cpuMeter, LatencyRecorder, nowMs, rate, stopwatch, type ScenarioResult } from './stats';

export interface RawPostgresOptions {
  commits: number;
  warmup: number;
  connections: number;
}

// (d) The floor under (c): node-postgres clients, each running the same upsert as (c) in autocommit (one
// statement, one commit, one fsync unless group commit shares it), as fast as they can.
export async function rawPostgresBench(options: RawPostgresOptions): Promise<ScenarioResult> {
  const database = await createTestDatabase('bench');
  const clients = Array.from({ length: options.connections }, () => new Client({ connectionString: database.url, application_name: 'bench-raw-pg' }));
  try {
    await Promise.all(clients.map((client) => client.connect()));
    const first = clients[0];
    if (!first) throw new Error('connections must be at least 1');
    await first.query(commitHeadsDdl('public'));
    const sql = upsertHeadSql('public');
    const rows = Array.from({ length: options.warmup + options.commits }, (_, i) => [`bench-repo-${i}`, 'main', randomUUID()]);

    await run(clients, sql, rows.slice(0, options.warmup), new LatencyRecorder(0));
    const latency = new LatencyRecorder(options.commits);
    const elapsed = stopwatch();
    const cpu = cpuMeter();
    await run(clients, sql, rows.slice(options.warmup), latency);
    const seconds = elapsed();
    const cpuUse = cpu();
    return {
      scenario: options.connections === 1 ? 'd1' : 'd',
      description: `raw pg upsert, autocommit, ${options.connections} connection${options.connections === 1 ? '' : 's'}`,
      messages: options.commits,
      seconds,
      rate: rate(options.commits, seconds),
      latency: latency.summary('commit'),
      details: { connections: options.connections, processCpu: cpuUse.process, machineCpu: cpuUse.machine },
    };
  } finally {
    await Promise.allSettled(clients.map((client) => client.end()));
    await database.drop();
  }
}

// Every client takes the next row from a shared cursor, so fast connections are never idle waiting for slow ones.
async function run(clients: Client[], sql: string, rows: readonly string[][], latency: LatencyRecorder): Promise<void> {
  let next = 0;
  await Promise.all(
    clients.map(async (client) => {
      for (let row = rows[next++]; row; row = rows[next++]) {
        const started = nowMs();
        await client.query(sql, row);
        latency.record(nowMs() - started);
      }
    }),
  );
}
