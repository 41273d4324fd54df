import { allDefinitions, catalogue } from './catalogue';
import { contexts } from './contexts';
import { BusNames, DEFAULT_NAMESPACE } from './names';

describe('BusNames', () => {
  const names = new BusNames();

  it('puts the tenant right after the namespace in command and event subjects', () => {
    expect(names.commandSubject('acme', 'commit', 'CreateCommit')).toBe('devops.acme.cmd.commit.CreateCommit');
    expect(names.eventSubject('acme', 'source-control', 'CommitCreated')).toBe('devops.acme.evt.source-control.CommitCreated');
    expect(names.subjectFor(catalogue.CreateCommit, 'acme')).toBe('devops.acme.cmd.commit.CreateCommit');
    expect(names.subjectFor(catalogue.ReleaseDeployed, 'acme')).toBe('devops.acme.evt.release.ReleaseDeployed');
    expect(names.deadLetterSubject('commit', 'CreateCommit')).toBe('devops.dlq.commit.CreateCommit');
  });

  it('builds filters that match any tenant', () => {
    expect(names.commandFilter('pull-request')).toBe('devops.*.cmd.pull-request.>');
    expect(names.eventFilter('pipelines', 'PipelineRunFinished')).toBe('devops.*.evt.pipelines.PipelineRunFinished');
    expect(names.eventFilter('gitops')).toBe('devops.*.evt.gitops.>');
    expect(names.deadLetterFilter()).toBe('devops.dlq.*.*');
    expect(names.deadLetterFilter('commit', 'CreateCommit')).toBe('devops.dlq.commit.CreateCommit');
  });

  it('names one command and one event stream per context, plus the dead-letter stream', () => {
    expect(names.commandStream('source-control')).toBe('DEVOPS_CMD_SOURCE_CONTROL');
    expect(names.eventStream('gitops')).toBe('DEVOPS_EVT_GITOPS');
    expect(names.deadLetterStream()).toBe('DEVOPS_DLQ');
    const streams = names.allStreams();
    expect(streams).toHaveLength(contexts.length * 2 + 1);
    expect(new Set(streams).size).toBe(streams.length);
    for (const stream of streams) expect(stream).toMatch(/^[A-Z0-9_]+$/);
  });

  it('routes every message subject to its stream', () => {
    expect(names.streamForSubject('devops.acme.cmd.commit.CreateCommit')).toBe('DEVOPS_CMD_SOURCE_CONTROL');
    expect(names.streamForSubject('devops.acme.cmd.gitops-sync.SyncGitOps')).toBe('DEVOPS_CMD_GITOPS');
    expect(names.streamForSubject('devops.acme.evt.release.ReleaseDeployed')).toBe('DEVOPS_EVT_RELEASE');
    expect(() => names.streamForSubject('devops.acme.cmd.nope.CreateCommit')).toThrow(/not a devops command or event subject/);
  });

  it('parses back every subject it builds (round trip over the whole catalogue)', () => {
    for (const d of allDefinitions) {
      const parsed = names.parseSubject(names.subjectFor(d, 'tenant-1'));
      expect(parsed).toEqual({ tenantId: 'tenant-1', kind: d.kind, owner: d.kind === 'command' ? d.service : d.context, type: d.type });
    }
  });

  it('refuses subjects of another namespace, shape or owner', () => {
    expect(names.parseSubject('other.acme.cmd.commit.CreateCommit')).toBeUndefined();
    expect(names.parseSubject('devops.acme.cmd.commit')).toBeUndefined();
    expect(names.parseSubject('devops.acme.cmd.commit.CreateCommit.extra')).toBeUndefined();
    expect(names.parseSubject('devops.acme.cmd.source-control.CreateCommit')).toBeUndefined();
    expect(names.parseSubject('devops.acme.evt.commit.CommitCreated')).toBeUndefined();
    expect(names.parseSubject('devops.acme.xyz.commit.CreateCommit')).toBeUndefined();
  });

  it('names durables after the service', () => {
    expect(names.commandsDurable('commit')).toBe('commit-commands');
    expect(names.eventDurable('build-result', 'PipelineRunFinished')).toBe('build-result-on-PipelineRunFinished');
  });

  it('isolates a test namespace and validates it', () => {
    const isolated = new BusNames('t1a2b3');
    expect(isolated.commandSubject('acme', 'commit', 'CreateCommit')).toBe('t1a2b3.acme.cmd.commit.CreateCommit');
    expect(isolated.eventStream('release')).toBe('T1A2B3_EVT_RELEASE');
    expect(isolated.parseSubject('devops.acme.cmd.commit.CreateCommit')).toBeUndefined();
    expect(new BusNames().namespace).toBe(DEFAULT_NAMESPACE);
    for (const bad of ['', 'Devops', 'dev.ops', 'dev-ops', '1devops', 'a'.repeat(33), 'dev*']) {
      expect(() => new BusNames(bad)).toThrow(/bus namespace/);
    }
  });
});

describe('BusNames: advisories and durables', () => {
  const names = new BusNames();
  it('captures MAX_DELIVERIES advisories per stream and maps durables back to services', () => {
    expect(names.advisoryStream()).toBe('DEVOPS_ADVISORIES');
    expect(names.maxDeliveriesAdvisoryFilter('DEVOPS_CMD_RELEASE')).toBe('$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.DEVOPS_CMD_RELEASE.*');
    expect(names.serviceOfDurable('pull-request-commands')).toBe('pull-request');
    expect(names.serviceOfDurable('build-result-on-PipelineRunFinished')).toBe('build-result');
    expect(names.serviceOfDurable('ops-lineage')).toBe('ops');
  });
});
