import { Column, Entity, PrimaryColumn, type DataSource, type Repository } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@delivery/testing';
import { createServiceDataSource, runMigrations } from './data-source';
import { defineMigration } from './migration.factory';
import { scoped, TenantScopeError } from './tenant-scope';

const SCHEMA = 'scope_svc';

@Entity({ name: 'releases' })
class ReleaseRow {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @Column({ name: 'project_id', type: 'text' }) projectId!: string;
  @Column({ type: 'text' }) status!: string;
}

@Entity({ name: 'tenant_settings' })
class TenantSettingRow {
  @PrimaryColumn({ type: 'text' }) key!: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId!: string;
}

const tables = defineMigration({
  name: 'ScopeTables',
  timestamp: 1_700_000_000_000,
  up: (s) => [
    `CREATE TABLE "${s}".releases (id text PRIMARY KEY, tenant_id text NOT NULL, project_id text NOT NULL, status text NOT NULL)`,
    `CREATE TABLE "${s}".tenant_settings (key text PRIMARY KEY, tenant_id text NOT NULL)`,
  ],
  down: (s) => [`DROP TABLE "${s}".releases`, `DROP TABLE "${s}".tenant_settings`],
});

describe('tenant-scoped repository (real Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let releases: Repository<ReleaseRow>;

  beforeAll(async () => {
    db = await createTestDatabase('persist');
    ds = createServiceDataSource({ url: db.url, schema: SCHEMA, entities: [ReleaseRow, TenantSettingRow], migrations: [tables(SCHEMA)] });
    await runMigrations(ds);
    releases = ds.getRepository(ReleaseRow);
    await releases.insert([
      { id: 'r1', tenantId: 'acme', projectId: 'web', status: 'planned' },
      { id: 'r2', tenantId: 'acme', projectId: 'api', status: 'approved' },
      { id: 'r3', tenantId: 'globex', projectId: 'web', status: 'planned' },
    ]);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('reads only the scope tenant rows', async () => {
    const acme = scoped(releases, { tenantId: 'acme' });
    expect((await acme.find({ order: { id: 'ASC' } })).map((r) => r.id)).toEqual(['r1', 'r2']);
    expect(await acme.count()).toBe(2);
    expect((await acme.findBy({ status: 'planned' })).map((r) => r.id)).toEqual(['r1']);
  });

  it('returns nothing for another tenant row, even when asked by id or with a forged tenantId', async () => {
    const acme = scoped(releases, { tenantId: 'acme' });
    await expect(acme.findOneBy({ id: 'r3' })).resolves.toBeNull();
    await expect(acme.findOne({ where: { id: 'r3', tenantId: 'globex' } })).resolves.toBeNull();
    await expect(acme.exists({ id: 'r3' })).resolves.toBe(false);
    // Each OR branch is scoped, so an OR cannot widen the scope.
    expect((await acme.findBy([{ id: 'r3' }, { status: 'planned' }])).map((r) => r.id)).toEqual(['r1']);
  });

  it('narrows to a project when the scope names one', async () => {
    const acmeWeb = scoped(releases, { tenantId: 'acme', projectId: 'web' });
    expect((await acmeWeb.find()).map((r) => r.id)).toEqual(['r1']);
    await expect(acmeWeb.findOneBy({ id: 'r2' })).resolves.toBeNull();
    const ids = await acmeWeb.createQueryBuilder('r').andWhere('r.status = :s', { s: 'planned' }).getMany();
    expect(ids.map((r) => r.id)).toEqual(['r1']);
  });

  it('scopes query builders', async () => {
    const rows = await scoped(releases, { tenantId: 'globex' }).createQueryBuilder('r').orderBy('r.id').getMany();
    expect(rows.map((r) => r.id)).toEqual(['r3']);
  });

  it('stamps the scope on saved rows and refuses rows of another tenant', async () => {
    const globex = scoped(releases, { tenantId: 'globex', projectId: 'ops' });
    const saved = await globex.save({ id: 'r4', status: 'planned' });
    expect(saved).toMatchObject({ id: 'r4', tenantId: 'globex', projectId: 'ops' });
    await expect(globex.save({ id: 'r5', tenantId: 'acme', status: 'planned' })).rejects.toThrow(TenantScopeError);
    await expect(releases.findOneBy({ id: 'r5' })).resolves.toBeNull();
  });

  it('deletes only inside the scope', async () => {
    await expect(scoped(releases, { tenantId: 'acme' }).delete({ id: 'r3' })).resolves.toBe(0);
    await expect(releases.findOneBy({ id: 'r3' })).resolves.not.toBeNull();
  });

  it('refuses a project scope on a table without project_id', () => {
    const settings = ds.getRepository(TenantSettingRow);
    expect(() => scoped(settings, { tenantId: 'acme', projectId: 'web' })).toThrow(/no projectId column/);
    expect(() => scoped(settings, { tenantId: 'acme' })).not.toThrow();
  });
});
