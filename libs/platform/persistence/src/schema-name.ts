// One Postgres schema per service (DESIGN §4). The name is interpolated into DDL, so it must be a plain identifier.
const SCHEMA_NAME = /^[a-z][a-z0-9_]{0,62}$/;

export class InvalidSchemaNameError extends Error {
  constructor(readonly schema: string) {
    super(`invalid schema name "${schema}": use lowercase letters, digits and underscores, starting with a letter, at most 63 chars`);
    this.name = 'InvalidSchemaNameError';
  }
}

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new InvalidSchemaNameError(schema);
  return schema;
}

// Quoted identifier for DDL/DML; safe because the name passed assertSchemaName.
export function quoteSchema(schema: string): string {
  return `"${assertSchemaName(schema)}"`;
}
