import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { isSameProcessAlive, readProcStat } from './proc-stat';
import { ProcessRecordStore } from './process-record.store';
import type { SupervisedWorkload } from './supervisor.config';

// Small real programs the integration tests supervise. MARKER (optional) gets a line per SIGTERM received;
// READY_AFTER_MS (optional) makes server.js answer /health with 503 for that long after its start (a slow starter).
const SCRIPTS: Record<string, string> = {
  'server.js': `
const http = require('http'), fs = require('fs');
const startedAt = Date.now();
const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    const ready = Date.now() - startedAt >= Number(process.env.READY_AFTER_MS || 0);
    res.writeHead(ready ? 200 : 503); return res.end(ready ? 'ok' : 'starting');
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ pid: process.pid, version: process.env.VERSION, cwd: process.cwd() }));
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
process.on('SIGTERM', () => {
  if (process.env.MARKER) fs.appendFileSync(process.env.MARKER, 'TERM\\n');
  server.close(); process.exit(0);
});`,
  'flaky-health.js': `
const fs = require('fs');
require('http').createServer((req, res) => {
  res.writeHead(fs.existsSync(process.env.FAIL_FILE) ? 500 : 200); res.end();
}).listen(Number(process.env.PORT), '127.0.0.1');`,
  'never-ready.js': `
require('http').createServer((req, res) => { res.writeHead(503); res.end('not yet'); }).listen(Number(process.env.PORT), '127.0.0.1');`,
  'crasher.js': `
console.log('up, crashing soon');
setTimeout(() => process.exit(1), 300);`,
  'stubborn.js': `
const fs = require('fs');
require('http').createServer((req, res) => { res.writeHead(200); res.end('ok'); }).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { fs.appendFileSync(process.env.MARKER, 'TERM\\n'); });`,
};

export function writeScripts(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'local-runtime-scripts-'));
  for (const [name, text] of Object.entries(SCRIPTS)) writeFileSync(path.join(dir, name), text);
  return dir;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `local-runtime-${prefix}-`));
}

export function workload(scripts: string, name: string, script: string, over: Partial<Omit<SupervisedWorkload, 'specHash'>> = {}): SupervisedWorkload {
  const base: Omit<SupervisedWorkload, 'specHash'> = {
    name, slot: null, version: '1.0.0', releaseId: null, command: [process.execPath, path.join(scripts, script)], port: 8080,
    healthPath: '/health', env: { VERSION: '1.0.0' }, replicas: 1, artifact: { kind: 'npm-package', name: 'shop', version: '1.0.0', feed: 'local' },
    cwd: scripts, application: 'shop', ...over,
  };
  const { cwd: _cwd, application: _app, ...hashed } = base;
  return { ...base, specHash: createHash('sha256').update(JSON.stringify(hashed)).digest('hex') };
}

export function getJson(endpoint: string, urlPath = '/'): Promise<Record<string, unknown>> {
  const [host, port] = endpoint.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), path: urlPath, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}

export function alive(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== null && isSameProcessAlive(pid, stat.startTime);
}

/** Polls until check() returns a value (not undefined); errors count as "not yet". */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Kills every process group recorded in the state dirs and every extra pid: tests never leave processes behind. */
export function killLeftovers(stateDirs: string[], extraPids: Iterable<number>): void {
  const pids = new Set<number>(extraPids);
  for (const dir of stateDirs) for (const rec of new ProcessRecordStore(dir).readAll()) if (rec.pid !== null) pids.add(rec.pid);
  for (const pid of pids) {
    if (!alive(pid)) continue;
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone or not a group leader
      }
    }
  }
}
