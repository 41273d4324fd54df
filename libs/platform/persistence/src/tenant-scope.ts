import type {
  DeepPartial,
  FindManyOptions,
  FindOneOptions,
  FindOptionsWhere,
  ObjectLiteral,
  Repository,
  SelectQueryBuilder,
} from 'typeorm';

// DESIGN §6 tenancy: every query is scoped. A read for another tenant's row finds nothing, which the REST layer
// answers with 404, so existence never leaks.
export interface TenantScope {
  tenantId: string;
  /** when set, rows are also restricted to this project */
  projectId?: string;
}

/** Entities stored with tenant_id (and project_id) columns, mapped to these properties. */
export interface TenantOwned {
  tenantId: string;
  projectId?: string;
}

export class TenantScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TenantScopeError';
  }
}

type Where<E> = FindOptionsWhere<E> | FindOptionsWhere<E>[];

export class ScopedRepository<E extends ObjectLiteral & TenantOwned> {
  private readonly scopeWhere: FindOptionsWhere<E>;

  constructor(
    readonly repository: Repository<E>,
    readonly scope: TenantScope,
  ) {
    const metadata = repository.metadata;
    if (!metadata.findColumnWithPropertyName('tenantId')) {
      throw new TenantScopeError(`${metadata.name} has no tenantId column: it cannot be read through a tenant scope`);
    }
    if (scope.projectId !== undefined && !metadata.findColumnWithPropertyName('projectId')) {
      throw new TenantScopeError(`${metadata.name} has no projectId column but the scope names a project`);
    }
    const where: Record<string, string> = { tenantId: scope.tenantId };
    if (scope.projectId !== undefined) where.projectId = scope.projectId;
    this.scopeWhere = where as FindOptionsWhere<E>;
  }

  // The scope wins over any tenantId/projectId in the caller's conditions; each OR branch gets it.
  where(where?: Where<E>): Where<E> {
    if (where === undefined) return this.scopeWhere;
    if (Array.isArray(where)) return where.length === 0 ? this.scopeWhere : where.map((w) => ({ ...w, ...this.scopeWhere }));
    return { ...where, ...this.scopeWhere };
  }

  find(options: FindManyOptions<E> = {}): Promise<E[]> {
    return this.repository.find({ ...options, where: this.where(options.where) });
  }

  findBy(where: Where<E>): Promise<E[]> {
    return this.repository.findBy(this.where(where));
  }

  findOne(options: FindOneOptions<E>): Promise<E | null> {
    return this.repository.findOne({ ...options, where: this.where(options.where) });
  }

  findOneBy(where: Where<E>): Promise<E | null> {
    return this.repository.findOneBy(this.where(where));
  }

  count(where?: Where<E>): Promise<number> {
    return this.repository.countBy(this.where(where));
  }

  exists(where?: Where<E>): Promise<boolean> {
    return this.repository.existsBy(this.where(where));
  }

  /** Query builder with the scope already in its WHERE: add conditions with andWhere, not where. */
  createQueryBuilder(alias: string): SelectQueryBuilder<E> {
    const qb = this.repository
      .createQueryBuilder(alias)
      .where(`${alias}.tenantId = :scopeTenantId`, { scopeTenantId: this.scope.tenantId });
    return this.scope.projectId === undefined
      ? qb
      : qb.andWhere(`${alias}.projectId = :scopeProjectId`, { scopeProjectId: this.scope.projectId });
  }

  /** Stamps the scope on new rows; refuses rows that already belong elsewhere. */
  async save(entity: DeepPartial<E>): Promise<E> {
    return this.repository.save(this.stamp(entity));
  }

  async delete(where: FindOptionsWhere<E>): Promise<number> {
    const result = await this.repository.delete(this.where(where) as FindOptionsWhere<E>);
    return result.affected ?? 0;
  }

  private stamp(entity: DeepPartial<E>): DeepPartial<E> {
    const row = entity as Partial<TenantOwned>;
    if (row.tenantId !== undefined && row.tenantId !== this.scope.tenantId) {
      throw new TenantScopeError(`refusing to save a row of tenant ${row.tenantId} through the scope of tenant ${this.scope.tenantId}`);
    }
    const { projectId } = this.scope;
    if (projectId !== undefined && row.projectId !== undefined && row.projectId !== projectId) {
      throw new TenantScopeError(`refusing to save a row of project ${row.projectId} through the scope of project ${projectId}`);
    }
    // Assign in place: the caller's entity instance keeps its class (TypeORM resolves the target from it).
    return Object.assign(entity, { tenantId: this.scope.tenantId }, projectId === undefined ? {} : { projectId });
  }
}

export function scoped<E extends ObjectLiteral & TenantOwned>(repository: Repository<E>, scope: TenantScope): ScopedRepository<E> {
  return new ScopedRepository(repository, scope);
}
