import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SupervisedWorkload } from './supervisor.config';

/** One replica as persisted in `<stateDir>/processes/<workload>-<replica>.json`: enough to adopt or restart it. */
export interface ProcessRecord {
  workload: string;
  replica: number;
  /** null while waiting to restart */
  pid: number | null;
  /** /proc/<pid>/stat field 22, tells the process from a recycled pid */
  startTime: number | null;
  /** epoch ms of the spawn */
  startedAt: number | null;
  specHash: string;
  port: number;
  command: string[];
  restarts: number;
  restartTimes: number[];
  lastDelayMs: number | null;
  spec: SupervisedWorkload;
}

export class ProcessRecordStore {
  readonly dir: string;
  /** `<stateDir>/workloads/<workload>.json`: the workload as last applied (what a rollout converges to) */
  private readonly targets: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'processes');
    this.targets = path.join(stateDir, 'workloads');
    mkdirSync(this.dir, { recursive: true });
    mkdirSync(this.targets, { recursive: true });
  }

  fileOf(workload: string, replica: number): string {
    return path.join(this.dir, `${workload}-${replica}.json`);
  }

  write(record: ProcessRecord): void {
    writeAtomically(this.fileOf(record.workload, record.replica), record);
  }

  /** Remembers the applied workload, so that a successor resumes its rollout after a restart. */
  writeTarget(spec: SupervisedWorkload): void {
    writeAtomically(path.join(this.targets, `${spec.name}.json`), spec);
  }

  /** null when never written (a state dir of an older supervisor) or unreadable */
  readTarget(workload: string): SupervisedWorkload | null {
    try {
      return JSON.parse(readFileSync(path.join(this.targets, `${workload}.json`), 'utf8')) as SupervisedWorkload;
    } catch {
      return null;
    }
  }

  deleteTarget(workload: string): void {
    rmSync(path.join(this.targets, `${workload}.json`), { force: true });
  }

  delete(workload: string, replica: number): void {
    rmSync(this.fileOf(workload, replica), { force: true });
  }

  readAll(): ProcessRecord[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => {
        try {
          return [JSON.parse(readFileSync(path.join(this.dir, f), 'utf8')) as ProcessRecord];
        } catch {
          return []; // a torn or foreign file is not a record
        }
      });
  }
}

function writeAtomically(file: string, value: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2));
  renameSync(`${file}.tmp`, file);
}
