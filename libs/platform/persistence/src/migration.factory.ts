import type { MigrationInterface, QueryRunner } from 'typeorm';
import { assertSchemaName } from './schema-name';

// TypeORM instantiates migration classes itself, so a schema-bound migration is a class built per schema.
export type MigrationClass = new () => MigrationInterface;
export type MigrationFactory = (schema: string) => MigrationClass;

export interface MigrationSpec {
  /** PascalCase, unique within a service; the 13-digit timestamp is appended (TypeORM orders by it) */
  name: string;
  timestamp: number;
  up: (schema: string) => string[];
  down: (schema: string) => string[];
}

export function defineMigration(spec: MigrationSpec): MigrationFactory {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(spec.name)) throw new Error(`migration name "${spec.name}" must be PascalCase`);
  if (!Number.isInteger(spec.timestamp) || String(spec.timestamp).length !== 13) {
    throw new Error(`migration ${spec.name}: timestamp must be 13 digits (epoch millis), got ${spec.timestamp}`);
  }
  const fullName = `${spec.name}${spec.timestamp}`;
  return (schema: string) => {
    assertSchemaName(schema);
    const migration = class implements MigrationInterface {
      readonly name = fullName;
      async up(queryRunner: QueryRunner): Promise<void> {
        for (const sql of spec.up(schema)) await queryRunner.query(sql);
      }
      async down(queryRunner: QueryRunner): Promise<void> {
        for (const sql of spec.down(schema)) await queryRunner.query(sql);
      }
    };
    Object.defineProperty(migration, 'name', { value: fullName });
    return migration;
  };
}
