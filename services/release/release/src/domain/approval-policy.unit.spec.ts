import type { Actor } from '@delivery/contracts';
import { ForbiddenError, IllegalStateError, ValidationError } from '@delivery/messaging';
import {
  approvalStatus,
  decideApproval,
  defaultApprovalPolicy,
  parseApprovalPolicy,
  requiredApprovals,
  resolveRule,
  type ApprovalInput,
  type ApprovalPolicy,
  type RecordedApproval,
} from './approval-policy';
import { windowDecision } from './deployment-window';

const now = new Date('2026-03-10T10:00:00.000Z');
const planner: Actor = { kind: 'agent', id: 'release-agent' };
const alice: Actor = { kind: 'user', id: 'alice' };
const bob: Actor = { kind: 'user', id: 'bob' };
const carol: Actor = { kind: 'user', id: 'carol' };
const policy = defaultApprovalPolicy();

const hoursFrom = (date: Date, hours: number) => new Date(date.getTime() + hours * 3_600_000);
const approval = (approver: Actor, role: 'staff' | 'client', environment = 'prod1', at = hoursFrom(now, -1), expiresAt: Date | null = hoursFrom(at, 24)): RecordedApproval => ({
  environment,
  role,
  approver,
  at,
  expiresAt,
});
const approve = (overrides: Partial<ApprovalInput>) => decideApproval({ policy, environment: 'prod1', role: 'staff', approver: alice, planner, existing: [], now, ...overrides });

function thrown(run: () => unknown): Error & { code?: string; httpStatus?: number; details?: Record<string, unknown> } {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('approval policy', () => {
  describe('default policy and required approvals', () => {
    it('given the default policy, when a dev/staging/prod path is submitted, then dev is automatic, staging needs staff, prod staff and client', () => {
      expect(requiredApprovals(policy, ['dev1', 'stage1', 'staging', 'prod1', 'qa'])).toEqual([
        { environment: 'dev1', roles: [], rule: 'dev*/auto', autoApprove: true },
        { environment: 'stage1', roles: ['staff'], rule: 'stage*/staff', autoApprove: false },
        { environment: 'staging', roles: ['staff'], rule: 'staging*/staff', autoApprove: false },
        { environment: 'prod1', roles: ['staff', 'client'], rule: 'prod*/staff+client', autoApprove: false },
        { environment: 'qa', roles: ['staff'], rule: '*/staff', autoApprove: false },
      ]);
    });

    it('given the default policy, when prod is resolved, then approvals live 24 h and no window applies', () => {
      const prod = resolveRule(policy, 'prod-eu');
      expect(prod.approvalTtlSeconds).toBe(86_400);
      expect(windowDecision(prod.entry, now)).toEqual({ open: true });
    });

    it('given the default policy, when parsed as REST input, then it is valid as it stands', () => {
      expect(parseApprovalPolicy(JSON.parse(JSON.stringify(policy)))).toEqual(policy);
    });

    it('given overlapping patterns, when resolved, then the first matching entry wins', () => {
      const custom = parseApprovalPolicy({
        environments: [
          { match: 'prod-eu*', roles: ['staff', 'client', 'client'] },
          { match: 'prod*', roles: ['staff', 'client'] },
          { match: 'dev1', roles: ['staff'] },
          { match: 'dev*', autoApprove: true },
          { match: '*', roles: ['staff'] },
        ],
      });
      expect(requiredApprovals(custom, ['prod-eu1', 'prod-us1', 'dev1', 'dev2']).map((r) => r.rule)).toEqual(['prod-eu*/staff+client+client', 'prod*/staff+client', 'dev1/staff', 'dev*/auto']);
    });

    it('given a hand-built policy without a catch-all, when an uncovered environment is resolved, then it fails closed with 409', () => {
      const error = thrown(() => requiredApprovals({ environments: [{ match: 'dev*', autoApprove: true, roles: [] }] }, ['prod1']));
      expect(error).toBeInstanceOf(IllegalStateError);
      expect(error.code).toBe('release.no-approval-rule');
    });
  });

  describe('decideApproval', () => {
    it('given a first staff approval for prod, when decided, then it is recorded under the prod rule with a 24 h expiry', () => {
      expect(approve({})).toEqual({ outcome: 'recorded', rule: 'prod*/staff+client', expiresAt: new Date('2026-03-11T10:00:00.000Z') });
    });

    it('given staging, when one staff member approves, then it is recorded without expiry', () => {
      expect(approve({ environment: 'stage1' })).toEqual({ outcome: 'recorded', rule: 'stage*/staff', expiresAt: null });
    });

    it('given the planner approves, when decided, then 403 release.approver-is-planner gives the reason', () => {
      const error = thrown(() => approve({ approver: { kind: 'agent', id: 'release-agent' } }));
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({ code: 'release.approver-is-planner', httpStatus: 403 });
      expect(error.message).toBe('agent "release-agent" planned this release and cannot approve it (rule prod*/staff+client)');
    });

    it('given a user planner, when the same user approves, then it is refused too', () => {
      expect(thrown(() => approve({ planner: alice, approver: alice })).message).toMatch(/user "alice" planned this release/);
    });

    it('given an agent approver with the id of a user planner, when decided, then they are different actors and it is recorded', () => {
      expect(approve({ planner: { kind: 'user', id: 'bot-1' }, approver: { kind: 'agent', id: 'bot-1' } }).outcome).toBe('recorded');
    });

    it('given the same approver already approved the same role, when they approve again, then it is an idempotent duplicate', () => {
      const first = approval(alice, 'staff');
      expect(approve({ existing: [first] })).toEqual({ outcome: 'duplicate', rule: 'prod*/staff+client', expiresAt: first.expiresAt });
    });

    it('given the same approver already approved as staff, when they approve as client, then 403 release.approver-not-distinct', () => {
      const error = thrown(() => approve({ role: 'client', existing: [approval(alice, 'staff')] }));
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({ code: 'release.approver-not-distinct', httpStatus: 403 });
      expect(error.message).toMatch(/already approved "prod1" as staff; the client approval needs a different approver/);
    });

    it('given the approver approved another environment, when they approve prod, then it is recorded (distinctness is per environment)', () => {
      expect(approve({ role: 'client', existing: [approval(alice, 'staff', 'stage1', hoursFrom(now, -2), null)] }).outcome).toBe('recorded');
    });

    it('given the earlier approval of the same role expired, when the approver approves again, then it is recorded afresh', () => {
      const lapsed = approval(alice, 'staff', 'prod1', hoursFrom(now, -30), hoursFrom(now, -6));
      expect(approve({ existing: [lapsed] })).toMatchObject({ outcome: 'recorded', expiresAt: hoursFrom(now, 24) });
    });

    it('given the approver holds an expired staff approval, when they approve as client, then it is recorded (the expired one does not count)', () => {
      expect(approve({ role: 'client', existing: [approval(alice, 'staff', 'prod1', hoursFrom(now, -30), now)] }).outcome).toBe('recorded');
    });

    it('given a role the environment does not need, when decided, then 400 release.role-not-required', () => {
      const error = thrown(() => approve({ environment: 'stage1', role: 'client' }));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.code).toBe('release.role-not-required');
      expect(error.message).toBe('environment "stage1" needs no client approval (rule stage*/staff asks for staff)');
    });

    it('given an auto-approved environment, when someone approves it, then 400 release.role-not-required says it is automatic', () => {
      expect(thrown(() => approve({ environment: 'dev1' }))).toMatchObject({ code: 'release.role-not-required', message: expect.stringMatching(/approved automatically \(rule dev\*\/auto\)/) });
    });

    it('given the staff role is already filled by someone else, when another staff member approves, then it is recorded as a stand-in', () => {
      expect(approve({ approver: bob, existing: [approval(alice, 'staff')] }).outcome).toBe('recorded');
    });
  });

  describe('approvalStatus', () => {
    const status = (approvals: RecordedApproval[], environment = 'prod1', at = now) => approvalStatus({ policy, environment, approvals, now: at });

    it('given no approvals for prod, when counted, then staff and client are missing', () => {
      expect(status([])).toEqual({ satisfied: false, rule: 'prod*/staff+client', autoApprove: false, counted: [], expired: [], missingRoles: ['staff', 'client'] });
    });

    it('given staff only, when counted, then client is missing', () => {
      const result = status([approval(alice, 'staff')]);
      expect(result).toMatchObject({ satisfied: false, missingRoles: ['client'] });
      expect(result.counted.map((a) => a.approver.id)).toEqual(['alice']);
    });

    it('given staff and client by different approvers, when counted, then prod is satisfied', () => {
      expect(status([approval(alice, 'staff'), approval(bob, 'client'), approval(carol, 'staff', 'stage1')])).toMatchObject({ satisfied: true, missingRoles: [] });
    });

    it('given an approval whose expiresAt is exactly now, when counted, then it is expired and listed', () => {
      const staff = approval(alice, 'staff', 'prod1', hoursFrom(now, -24), now);
      const result = status([staff, approval(bob, 'client')]);
      expect(result).toMatchObject({ satisfied: false, missingRoles: ['staff'], expired: [staff] });
    });

    it('given approvals a millisecond before expiry, when counted, then they still count', () => {
      const soon = new Date(now.getTime() + 1);
      expect(status([approval(alice, 'staff', 'prod1', hoursFrom(now, -24), soon), approval(bob, 'client')]).satisfied).toBe(true);
    });

    it('given one approver holding both roles in the history, when counted, then they fill only the earlier role', () => {
      const result = status([approval(alice, 'staff', 'prod1', hoursFrom(now, -2)), approval(alice, 'client', 'prod1', hoursFrom(now, -1))]);
      expect(result).toMatchObject({ satisfied: false, missingRoles: ['client'] });
    });

    it('given a stand-in staff approval, when the first one expires, then the stand-in fills the role', () => {
      const first = approval(alice, 'staff', 'prod1', hoursFrom(now, -30), hoursFrom(now, -6));
      const standIn = approval(carol, 'staff', 'prod1', hoursFrom(now, -2));
      const result = status([first, standIn, approval(bob, 'client')]);
      expect(result.satisfied).toBe(true);
      expect(result.counted.map((a) => a.approver.id)).toEqual(['carol', 'bob']);
    });

    it('given an auto-approved environment, when counted, then it is satisfied with no approvals', () => {
      expect(status([], 'dev1')).toEqual({ satisfied: true, rule: 'dev*/auto', autoApprove: true, counted: [], expired: [], missingRoles: [] });
    });

    it('given a rule asking for two staff, when one staff approved, then one staff is still missing', () => {
      const twoStaff: ApprovalPolicy = { environments: [{ match: '*', roles: ['staff', 'staff'] }] };
      const result = approvalStatus({ policy: twoStaff, environment: 'stage1', approvals: [approval(alice, 'staff', 'stage1')], now });
      expect(result).toMatchObject({ satisfied: false, rule: '*/staff+staff', missingRoles: ['staff'] });
    });
  });

  describe('parseApprovalPolicy', () => {
    const prod = { match: 'prod*', roles: ['staff', 'client'], approvalTtlSeconds: 3600 };
    const rest = { match: '*', roles: ['staff'] };
    const withProd = (entry: Record<string, unknown>) => ({ environments: [{ ...prod, ...entry }, rest] });
    const error = (value: unknown) => thrown(() => parseApprovalPolicy(value));

    it('given windows and freezes, when parsed, then they are kept and the zone spelled canonically', () => {
      const parsed = parseApprovalPolicy(
        withProd({ windows: [{ days: ['mon', 'tue'], start: '09:00', end: '17:00', timeZone: 'europe/berlin' }], freezes: [{ from: '2026-12-20T00:00:00Z', to: '2027-01-04T00:00:00+01:00', reason: 'year end' }] }),
      );
      expect(parsed.environments[0]?.windows).toEqual([{ days: ['mon', 'tue'], start: '09:00', end: '17:00', timeZone: 'Europe/Berlin' }]);
      expect(parsed.environments[0]?.freezes).toHaveLength(1);
    });

    it.each([
      ['not an object', 'policy', 'x'],
      ['no environments', 'environments', {}],
      ['an unknown top-level field', 'extra', { environments: [rest], extra: 1 }],
      ['an unknown entry field', 'environments[0].approvers', withProd({ approvers: 2 })],
      ['a bad pattern', 'environments[0].match', { environments: [{ match: 'Prod*', roles: ['staff'] }, rest] }],
      ['an unknown role', 'environments[0].roles[2]', withProd({ roles: ['staff', 'client', 'boss'] })],
      ['no roles without autoApprove', 'environments[0].roles', { environments: [{ match: 'qa', roles: [] }, rest] }],
      ['roles with autoApprove', 'environments[0].roles', { environments: [{ match: 'dev*', autoApprove: true, roles: ['staff'] }, rest] }],
      ['six roles', 'environments[0].roles', withProd({ roles: ['staff', 'client', 'staff', 'client', 'staff', 'client'] })],
      ['a fractional ttl', 'environments[0].approvalTtlSeconds', withProd({ approvalTtlSeconds: 1.5 })],
      ['a bad day', 'environments[0].windows[0].days[0]', withProd({ windows: [{ days: ['monday'], start: '09:00', end: '17:00', timeZone: 'UTC' }] })],
      ['a bad start', 'environments[0].windows[0].start', withProd({ windows: [{ days: ['mon'], start: '9:00', end: '17:00', timeZone: 'UTC' }] })],
      ['start equal to end', 'environments[0].windows[0].end', withProd({ windows: [{ days: ['mon'], start: '09:00', end: '09:00', timeZone: 'UTC' }] })],
      ['an unknown time zone', 'environments[0].windows[0].timeZone', withProd({ windows: [{ days: ['mon'], start: '09:00', end: '17:00', timeZone: 'Mars/Base' }] })],
      ['a freeze without offset', 'environments[0].freezes[0].from', withProd({ freezes: [{ from: '2026-12-20T00:00:00', to: '2027-01-04T00:00:00Z', reason: 'r' }] })],
      ['a freeze ending before it starts', 'environments[0].freezes[0].to', withProd({ freezes: [{ from: '2027-01-04T00:00:00Z', to: '2026-12-20T00:00:00Z', reason: 'r' }] })],
      ['a freeze without reason', 'environments[0].freezes[0].reason', withProd({ freezes: [{ from: '2026-12-20T00:00:00Z', to: '2027-01-04T00:00:00Z', reason: ' ' }] })],
      ['an unreachable entry', 'environments[1].match', { environments: [prod, { match: 'prod-eu', roles: ['staff', 'client'] }, rest] }],
      ['no catch-all', 'environments', { environments: [prod] }],
      ['prod with staff only', 'environments[0].roles', withProd({ roles: ['staff'] })],
      ['prod auto-approved', 'environments[0].autoApprove', { environments: [{ match: 'production', autoApprove: true }, rest] }],
      ['a catch-all reaching prod with staff only', 'environments[1].roles', { environments: [{ match: 'dev*', autoApprove: true }, rest] }],
    ])('given %s, when parsed, then 400 approval-policy.invalid names %s', (_case, field, value) => {
      const failure = error(value);
      expect(failure).toBeInstanceOf(ValidationError);
      expect(failure).toMatchObject({ code: 'approval-policy.invalid', httpStatus: 400, details: { field } });
      expect(failure.message).toContain(`approval policy: ${field} `);
    });

    it('given an auto-approved entry without roles, when parsed, then roles default to none', () => {
      expect(parseApprovalPolicy({ environments: [{ match: 'dev*', autoApprove: true }, prod, rest] }).environments[0]).toEqual({ match: 'dev*', autoApprove: true, roles: [] });
    });

    it('given a catch-all requiring staff and client, when parsed without a prod entry, then production is covered and it is accepted', () => {
      expect(parseApprovalPolicy({ environments: [{ match: '*', roles: ['client', 'staff'] }] }).environments).toHaveLength(1);
    });
  });
});
