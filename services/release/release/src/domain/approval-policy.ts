import type { Actor, PayloadOf } from '@delivery/contracts';
import { ForbiddenError, IllegalStateError, ValidationError } from '@delivery/messaging';
import { WEEKDAYS, canonicalTimeZone, parseClock, type DeploymentWindow, type Freeze, type Weekday, type WindowSchedule } from './deployment-window';

// The approval policy of a tenant/project (issue 4, DESIGN §6): data edited through REST, evaluated here without
// I/O. Entries match environments by exact name or prefix ("prod*"); the first match wins and names the rule.

export type ApproverRole = PayloadOf<'ApproveRelease'>['role'];
export const APPROVER_ROLES: readonly ApproverRole[] = ['staff', 'client'];

export interface EnvironmentRule extends WindowSchedule {
  /** an environment name, a prefix pattern such as "prod*", or "*" for every environment */
  match: string;
  autoApprove?: boolean;
  /** one distinct approver per entry: ['staff', 'staff'] asks for two different staff approvers */
  roles: ApproverRole[];
  /** an approval stops counting this long after it was given; absent: it never expires */
  approvalTtlSeconds?: number;
}

export interface ApprovalPolicy {
  environments: EnvironmentRule[];
}

export interface ResolvedRule {
  // stable name recorded as `rule` in events: the match, then "auto" or the roles joined by "+" (see ruleName)
  rule: string;
  entry: EnvironmentRule;
  autoApprove: boolean;
  roles: ApproverRole[];
  approvalTtlSeconds: number | null;
}

export interface RequiredApproval {
  environment: string;
  roles: ApproverRole[];
  rule: string;
  autoApprove: boolean;
}

export interface RecordedApproval {
  environment: string;
  role: ApproverRole;
  approver: Actor;
  at: Date;
  expiresAt: Date | null;
}

export interface ApprovalDecision {
  outcome: 'recorded' | 'duplicate';
  rule: string;
  expiresAt: Date | null;
}

export interface ApprovalStatus {
  satisfied: boolean;
  rule: string;
  autoApprove: boolean;
  /** the approvals that fill the required roles, oldest first */
  counted: RecordedApproval[];
  /** approvals of this environment that no longer count (expiresAt <= now), for ReleaseApprovalExpired */
  expired: RecordedApproval[];
  /** roles still waiting for an approver, one entry per missing approver */
  missingRoles: ApproverRole[];
}

const DAY_SECONDS = 24 * 60 * 60;
const MAX_TTL_SECONDS = 90 * DAY_SECONDS;
const MAX_ENTRIES = 50;
const MAX_ROLES = 5; // ReleaseSubmitted.requiredApprovals[].roles allows five
const MAX_WINDOWS = 20;
const MAX_FREEZES = 100;

/** dev auto-approved, staging one staff, prod staff and client within 24 h, anything else one staff. */
export function defaultApprovalPolicy(): ApprovalPolicy {
  return {
    environments: [
      { match: 'dev*', autoApprove: true, roles: [] },
      { match: 'stage*', roles: ['staff'] },
      { match: 'staging*', roles: ['staff'] },
      { match: 'prod*', roles: ['staff', 'client'], approvalTtlSeconds: DAY_SECONDS },
      { match: '*', roles: ['staff'] },
    ],
  };
}

export function ruleName(entry: Pick<EnvironmentRule, 'match' | 'autoApprove' | 'roles'>): string {
  return `${entry.match}/${entry.autoApprove ? 'auto' : entry.roles.join('+')}`;
}

export function matchesEnvironment(match: string, environment: string): boolean {
  if (match === '*') return true;
  return match.endsWith('*') ? environment.startsWith(match.slice(0, -1)) : environment === match;
}

/** The first entry matching the environment; 409 when none does (only possible for a policy not built by parse). */
export function resolveRule(policy: ApprovalPolicy, environment: string): ResolvedRule {
  const entry = policy.environments.find((candidate) => matchesEnvironment(candidate.match, environment));
  // fail closed: an environment without a rule is never promoted on a guess
  if (!entry) throw new IllegalStateError('release.no-approval-rule', `no approval rule matches environment "${environment}"; add an entry (or a "*" entry) to the policy`);
  const autoApprove = entry.autoApprove === true;
  return { rule: ruleName(entry), entry, autoApprove, roles: autoApprove ? [] : [...entry.roles], approvalTtlSeconds: entry.approvalTtlSeconds ?? null };
}

export function requiredApprovals(policy: ApprovalPolicy, environments: readonly string[]): RequiredApproval[] {
  return environments.map((environment) => {
    const { rule, roles, autoApprove } = resolveRule(policy, environment);
    return { environment, roles, rule, autoApprove };
  });
}

export function sameActor(a: Actor, b: Actor): boolean {
  return a.kind === b.kind && a.id === b.id;
}

export function isExpired(approval: Pick<RecordedApproval, 'expiresAt'>, now: Date): boolean {
  return approval.expiresAt !== null && approval.expiresAt.getTime() <= now.getTime();
}

export interface ApprovalInput {
  policy: ApprovalPolicy;
  environment: string;
  role: ApproverRole;
  approver: Actor;
  planner: Actor;
  /** every approval recorded for the release so far, all environments */
  existing: readonly RecordedApproval[];
  now: Date;
}

/**
 * Segregation of duties for one approval: the planner never approves (agents included), and within an environment
 * every role is filled by a different approver. Approving the same role again while it still counts is a no-op;
 * after it expired it is a fresh approval.
 */
export function decideApproval(input: ApprovalInput): ApprovalDecision {
  const { environment, role, approver, planner, now } = input;
  const resolved = resolveRule(input.policy, environment);
  const { rule } = resolved;
  if (sameActor(approver, planner)) {
    throw new ForbiddenError('release.approver-is-planner', `${describe(approver)} planned this release and cannot approve it (rule ${rule})`, { rule });
  }
  if (resolved.autoApprove) {
    throw new ValidationError('release.role-not-required', `environment "${environment}" is approved automatically (rule ${rule}); no ${role} approval is needed`, { rule });
  }
  if (!resolved.roles.includes(role)) {
    throw new ValidationError('release.role-not-required', `environment "${environment}" needs no ${role} approval (rule ${rule} asks for ${resolved.roles.join(', ')})`, { rule });
  }

  const standing = input.existing.filter((a) => a.environment === environment && sameActor(a.approver, approver) && !isExpired(a, now));
  const same = standing.find((a) => a.role === role);
  if (same) return { outcome: 'duplicate', rule, expiresAt: same.expiresAt };
  const other = standing[0];
  if (other) {
    throw new ForbiddenError(
      'release.approver-not-distinct',
      `${describe(approver)} already approved "${environment}" as ${other.role}; the ${role} approval needs a different approver (rule ${rule})`,
      { rule, role: other.role },
    );
  }
  // An approval beyond the required count is still recorded: it stands in if a counted one expires.
  const expiresAt = resolved.approvalTtlSeconds === null ? null : new Date(now.getTime() + resolved.approvalTtlSeconds * 1000);
  return { outcome: 'recorded', rule, expiresAt };
}

export function approvalStatus(input: { policy: ApprovalPolicy; environment: string; approvals: readonly RecordedApproval[]; now: Date }): ApprovalStatus {
  const { rule, roles, autoApprove } = resolveRule(input.policy, input.environment);
  const ofEnvironment = input.approvals.filter((a) => a.environment === input.environment);
  const expired = ofEnvironment.filter((a) => isExpired(a, input.now));
  if (autoApprove) return { satisfied: true, rule, autoApprove, counted: [], expired, missingRoles: [] };

  const missingRoles = [...roles];
  const counted: RecordedApproval[] = [];
  const standing = ofEnvironment.filter((a) => !isExpired(a, input.now)).sort((a, b) => a.at.getTime() - b.at.getTime());
  for (const approval of standing) {
    // one role per approver, even if the history holds more (decideApproval refuses them)
    if (counted.some((c) => sameActor(c.approver, approval.approver))) continue;
    const slot = missingRoles.indexOf(approval.role);
    if (slot < 0) continue;
    missingRoles.splice(slot, 1);
    counted.push(approval);
  }
  return { satisfied: missingRoles.length === 0, rule, autoApprove, counted, expired, missingRoles };
}

function describe(actor: Actor): string {
  return `${actor.kind} "${actor.id}"`;
}

// --- REST input

/** Validates a policy sent through REST; throws 400 approval-policy.invalid naming the first bad field. */
export function parseApprovalPolicy(value: unknown): ApprovalPolicy {
  const root = objectAt(value, 'policy', ['environments']);
  const list = arrayAt(root.environments, 'environments', 1, MAX_ENTRIES);
  const environments = list.map((entry, index) => parseEntry(entry, `environments[${index}]`));
  environments.forEach((entry, index) => {
    const field = `environments[${index}]`;
    const earlier = environments.slice(0, index).findIndex((before) => covers(before.match, entry.match));
    if (earlier >= 0) invalid(`${field}.match`, `"${entry.match}" is unreachable: environments[${earlier}] ("${environments[earlier]?.match}") matches first`);
    checkProductionFloor(entry, environments.slice(0, index), field);
  });
  if (environments.at(-1)?.match !== '*') invalid('environments', 'must end with a "*" entry so that every environment has a rule');
  return { environments };
}

const ENTRY_FIELDS = ['match', 'autoApprove', 'roles', 'approvalTtlSeconds', 'windows', 'freezes'];

function parseEntry(value: unknown, field: string): EnvironmentRule {
  const raw = objectAt(value, field, ENTRY_FIELDS);
  if (typeof raw.match !== 'string' || !/^(\*|[a-z][a-z0-9-]{0,31}\*?)$/.test(raw.match)) {
    invalid(`${field}.match`, 'must be an environment name (lowercase slug), a prefix pattern such as "prod*", or "*"');
  }
  const entry: EnvironmentRule = { match: raw.match, roles: [] };
  if (raw.autoApprove !== undefined) {
    if (typeof raw.autoApprove !== 'boolean') invalid(`${field}.autoApprove`, 'must be true or false');
    entry.autoApprove = raw.autoApprove;
  }
  if (entry.autoApprove) {
    if (raw.roles !== undefined && (!Array.isArray(raw.roles) || raw.roles.length > 0)) invalid(`${field}.roles`, 'must be empty when autoApprove is true');
    if (raw.approvalTtlSeconds !== undefined) invalid(`${field}.approvalTtlSeconds`, 'has no meaning when autoApprove is true');
  } else {
    entry.roles = arrayAt(raw.roles, `${field}.roles`, 1, MAX_ROLES).map((role, index) => {
      if (!APPROVER_ROLES.includes(role as ApproverRole)) invalid(`${field}.roles[${index}]`, `must be one of ${APPROVER_ROLES.join(', ')}`);
      return role as ApproverRole;
    });
  }
  if (raw.approvalTtlSeconds !== undefined) {
    const ttl = raw.approvalTtlSeconds;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 60 || ttl > MAX_TTL_SECONDS) {
      invalid(`${field}.approvalTtlSeconds`, `must be a whole number of seconds from 60 to ${MAX_TTL_SECONDS} (90 days)`);
    }
    entry.approvalTtlSeconds = ttl;
  }
  // an empty list is the same as none: no window means deployments may go at any time
  if (raw.windows !== undefined) entry.windows = arrayAt(raw.windows, `${field}.windows`, 0, MAX_WINDOWS).map((w, i) => parseWindow(w, `${field}.windows[${i}]`));
  if (raw.freezes !== undefined) entry.freezes = arrayAt(raw.freezes, `${field}.freezes`, 0, MAX_FREEZES).map((f, i) => parseFreeze(f, `${field}.freezes[${i}]`));
  return entry;
}

function parseWindow(value: unknown, field: string): DeploymentWindow {
  const raw = objectAt(value, field, ['days', 'start', 'end', 'timeZone']);
  const days = arrayAt(raw.days, `${field}.days`, 1, 7).map((day, index) => {
    if (!WEEKDAYS.includes(day as Weekday)) invalid(`${field}.days[${index}]`, `must be one of ${WEEKDAYS.join(', ')}`);
    return day as Weekday;
  });
  if (new Set(days).size !== days.length) invalid(`${field}.days`, 'lists a day twice');
  const start = typeof raw.start === 'string' ? parseClock(raw.start) : null;
  if (start === null) invalid(`${field}.start`, 'must be HH:MM from 00:00 to 23:59');
  const end = typeof raw.end === 'string' ? parseClock(raw.end, { asEnd: true }) : null;
  if (end === null) invalid(`${field}.end`, 'must be HH:MM from 00:01 to 24:00');
  if (start === end) invalid(`${field}.end`, 'must differ from start (use 00:00-24:00 for a whole day)');
  const timeZone = typeof raw.timeZone === 'string' ? canonicalTimeZone(raw.timeZone) : null;
  if (timeZone === null) invalid(`${field}.timeZone`, 'must be an IANA time zone such as Europe/Berlin');
  return { days, start: raw.start as string, end: raw.end as string, timeZone };
}

// An explicit offset keeps a freeze the same instant wherever the policy is read.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseFreeze(value: unknown, field: string): Freeze {
  const raw = objectAt(value, field, ['from', 'to', 'reason']);
  const instant = (key: 'from' | 'to') => {
    const text = raw[key];
    if (typeof text !== 'string' || !INSTANT.test(text) || Number.isNaN(Date.parse(text))) invalid(`${field}.${key}`, 'must be an ISO 8601 instant with Z or an offset');
    return text;
  };
  const from = instant('from');
  const to = instant('to');
  if (Date.parse(to) <= Date.parse(from)) invalid(`${field}.to`, 'must be after from');
  if (typeof raw.reason !== 'string' || raw.reason.trim() === '' || raw.reason.length > 500) invalid(`${field}.reason`, 'must be a non-empty text of at most 500 characters');
  return { from, to, reason: raw.reason };
}

// Does pattern `first` match every environment `later` can match (so `later` never wins)?
function covers(first: string, later: string): boolean {
  if (first === '*') return true;
  if (later === '*') return false;
  if (!first.endsWith('*')) return first === later;
  return later.replace(/\*$/, '').startsWith(first.slice(0, -1));
}

// DESIGN §6: production (environments named prod…) needs staff and client approval, whatever the policy says.
function checkProductionFloor(entry: EnvironmentRule, earlier: readonly EnvironmentRule[], field: string): void {
  const literal = entry.match.replace(/\*$/, '');
  const reachesProduction = entry.match.endsWith('*') ? 'prod'.startsWith(literal) || literal.startsWith('prod') : literal.startsWith('prod');
  if (!reachesProduction || earlier.some((before) => covers(before.match, 'prod*'))) return;
  const why = `"${entry.match}" can match production environments (prod…), which need staff and client approval; require both or add a "prod*" entry before it`;
  if (entry.autoApprove) invalid(`${field}.autoApprove`, why);
  if (!entry.roles.includes('staff') || !entry.roles.includes('client')) invalid(`${field}.roles`, why);
}

function invalid(field: string, message: string): never {
  throw new ValidationError('approval-policy.invalid', `approval policy: ${field} ${message}`, { field });
}

function objectAt(value: unknown, field: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(field, 'must be an object');
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !allowed.includes(key));
  if (unknown !== undefined) invalid(`${field === 'policy' ? '' : `${field}.`}${unknown}`, `is not a known field (expected ${allowed.join(', ')})`);
  return record;
}

function arrayAt(value: unknown, field: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value)) invalid(field, 'must be an array');
  if (value.length < min || value.length > max) invalid(field, `must hold ${min} to ${max} items`);
  return value;
}
