// README (test support): a fake Azure DevOps Services endpoint on 127.0.0.1 for the adapter's contract tests.
// It models ONLY the shapes of the REST 7.x calls the adapter makes (answers are the recorded documentation
// samples under ./recorded with the dynamic fields filled in from a minimal state of repos, refs and pushes);
// it does NOT model Azure DevOps' semantics (permissions, policies, merge conflicts, content rules). Every request
// is recorded (method, path, query, api-version from the Accept header, body) so tests can assert what was sent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FAKE_ZERO_SHA, FakeAzureDevOpsState, type FakeChange, type FakeCommit, type FakeRepository } from './azure-devops-fake.state';
import { FakePullRequestRoutes } from './azure-devops-fake.pull-requests';
import { CHANGE_TYPES, ERRORS, HttpError, firstOf, template, type Json } from './azure-devops-fake.shapes';

export { recorded } from './azure-devops-fake.shapes';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  apiVersion: string | undefined;
  accept: string | undefined;
  body: unknown;
}


export class FakeAzureDevOpsServer {
  readonly state = new FakeAzureDevOpsState();
  readonly requests: RecordedRequest[] = [];
  private readonly prs = new FakePullRequestRoutes(this.state, {
    organizationUrl: () => this.organizationUrl,
    repositoryShape: (repo) => this.repositoryShape(repo),
    commit: (repo, sha) => this.commit(repo, sha),
  });
  private server: Server | undefined;
  private base = '';

  constructor(private readonly token: string) {}

  /** the next pull-request completion reports merge conflicts */
  set conflictOnNextCompletion(value: boolean) {
    this.prs.conflictOnNextCompletion = value;
  }

  get organizationUrl(): string {
    return `${this.base}/org`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** requests to the Git area only (discovery calls left out) */
  gitRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.includes('/_apis/git/'));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.base);
    const accept = req.headers.accept;
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams),
      apiVersion: /api-version=([^;,\s]+)/.exec(accept ?? '')?.[1],
      accept,
      body: raw ? (JSON.parse(raw) as unknown) : undefined,
    };
    this.requests.push(rec);
    try {
      if (req.headers.authorization !== `Basic ${Buffer.from(`PAT:${this.token}`).toString('base64')}`) throw new HttpError(401, undefined);
      const out = this.route(rec, url.searchParams);
      if (Buffer.isBuffer(out)) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(out);
      } else {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(out));
      }
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const body = err.body === undefined ? '' : JSON.stringify(err.body);
      res.writeHead(err.status, { 'content-type': 'application/json; charset=utf-8' }).end(body);
    }
  }

  private route(r: RecordedRequest, q: URLSearchParams): unknown {
    const { method, path } = r;
    if (method === 'OPTIONS' && path === '/org/_apis/Location') return template('location-options');
    if (method === 'OPTIONS' && path === '/org/_apis/git') return template('git-options');
    if (method === 'GET' && path.startsWith('/org/_apis/ResourceAreas')) {
      const areas = template('resource-areas');
      return { ...areas, value: [{ ...firstOf(areas), locationUrl: `${this.organizationUrl}/` }] };
    }
    const m = /^\/org\/([^/]+)\/_apis\/git\/repositories(?:\/([^/]+))?(?:\/(.*))?$/.exec(path);
    if (!m) throw new HttpError(404, undefined);
    const project = m[1] as string;
    const rest = (m[3] ?? '').split('/').filter(Boolean);
    if (!m[2]) {
      if (method !== 'POST') throw new HttpError(404, undefined);
      return this.createRepository(project, r.body as Json);
    }
    const repo = this.state.repository(project, m[2]);
    if (!repo) throw new HttpError(404, { message: `TF401019: The Git repository with name or identifier ${m[2]} does not exist or you do not have permissions for the operation you are attempting.`, typeKey: 'GitRepositoryNotFoundException' });
    const [resource, id, sub, subId, subSub] = rest.map((s) => s.toLowerCase());
    const key = `${method} ${resource ?? ''}${id ? ' :id' : ''}${sub ? ` ${sub}` : ''}${subId ? ' :id' : ''}${subSub ? ` ${subSub}` : ''}`;
    switch (key) {
      case 'GET ':
        return this.repositoryShape(repo);
      case 'GET refs':
        return this.getRefs(repo, q.get('filter') ?? '');
      case 'POST refs':
        return this.updateRefs(repo, r.body as Json[]);
      case 'POST pushes':
        return this.createPush(repo, r.body as Json);
      case 'GET commits :id':
        return this.commitShape(repo, this.commit(repo, rest[1] as string), true);
      case 'GET commits':
        return this.getCommits(repo, q);
      case 'GET items':
        return (r.accept ?? '').startsWith('application/octet-stream') ? this.itemContent(repo, q) : this.getItems(repo, q);
      case 'GET diffs :id':
        return this.getDiffs(repo, q);
      case 'POST pullrequests':
        return this.prs.createPullRequest(repo, r.body as Json);
      case 'GET pullrequests :id':
        return this.prs.getPullRequest(repo, this.prs.pr(repo, id));
      case 'PATCH pullrequests :id':
        return this.prs.updatePullRequest(repo, this.prs.pr(repo, id), r.body as Json);
      case 'POST pullrequests :id threads':
        return this.prs.createThread(this.prs.pr(repo, id), r.body as Json);
      case 'POST pullrequests :id threads :id comments':
        return this.prs.createComment(this.prs.pr(repo, id), Number(subId), r.body as Json);
      case 'POST pullrequests :id statuses':
        return this.prs.createStatus(this.prs.pr(repo, id), r.body as Json);
      case 'POST reverts':
        return this.prs.createRevert(repo, r.body as Json);
      case 'GET reverts :id':
        return this.prs.getRevert(repo, Number(id));
      default:
        throw new HttpError(404, undefined);
    }
  }

  private repositoryShape(repo: FakeRepository): Json {
    const t = template('repository');
    const web = `${this.organizationUrl}/${repo.project}/_git/${repo.name}`;
    return {
      ...t,
      id: repo.id,
      name: repo.name,
      url: `${this.organizationUrl}/_apis/git/repositories/${repo.id}`,
      project: { ...(t['project'] as Json), name: repo.project },
      defaultBranch: repo.defaultBranch,
      remoteUrl: web,
      webUrl: web,
    };
  }

  private createRepository(project: string, body: Json): Json {
    const name = String(body['name'] ?? '');
    if (!name || name.includes('/')) throw new HttpError(400, ERRORS['invalidName']);
    if (this.state.repository(project, name)) throw new HttpError(409, ERRORS['repositoryExists']);
    return this.repositoryShape(this.state.createRepository(project, name));
  }

  private getRefs(repo: FakeRepository, filter: string): Json {
    const t = firstOf(template('refs'));
    const value = [...repo.refs.entries()]
      .filter(([name]) => name.startsWith(`refs/${filter}`))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, objectId]) => ({ ...t, name, objectId, url: `${this.organizationUrl}/_apis/git/repositories/${repo.id}/refs?filter=${encodeURIComponent(name.slice(5))}` }));
    return { value, count: value.length };
  }

  private updateRefs(repo: FakeRepository, body: Json[]): Json {
    const t = firstOf(template('ref-update-results'));
    const value = body.map((u) => {
      const name = String(u['name']);
      const oldObjectId = String(u['oldObjectId']);
      const newObjectId = String(u['newObjectId']);
      const current = repo.refs.get(name) ?? FAKE_ZERO_SHA;
      let updateStatus = 'succeeded';
      if (current !== oldObjectId) updateStatus = 'staleOldObjectId';
      else if (newObjectId !== FAKE_ZERO_SHA && !repo.commits.has(newObjectId)) updateStatus = 'unresolvableToCommit';
      else if (newObjectId === FAKE_ZERO_SHA) repo.refs.delete(name);
      else repo.refs.set(name, newObjectId);
      return { ...t, repositoryId: repo.id, name, oldObjectId, newObjectId, updateStatus, success: updateStatus === 'succeeded' };
    });
    return { value, count: value.length };
  }

  private createPush(repo: FakeRepository, body: Json): Json {
    const refUpdate = (body['refUpdates'] as Json[])[0] as Json;
    const commitIn = (body['commits'] as Json[])[0] as Json;
    const name = String(refUpdate['name']);
    const oldObjectId = String(refUpdate['oldObjectId']);
    const current = repo.refs.get(name);
    // an existing ref must be named by its current id; a new ref may start from zero or any known commit
    if (current ? current !== oldObjectId : oldObjectId !== FAKE_ZERO_SHA && !repo.commits.has(oldObjectId)) {
      throw new HttpError(409, ERRORS['staleRef']);
    }
    const parent = oldObjectId === FAKE_ZERO_SHA ? undefined : repo.commits.get(oldObjectId);
    const changes = (commitIn['changes'] as Json[]).map((c): FakeChange => {
      const item = c['item'] as Json;
      const content = c['newContent'] as Json | undefined;
      const encoding = String(content?.['contentType']) === '1' || content?.['contentType'] === 'base64encoded' ? 'base64' : 'utf8';
      return {
        changeType: CHANGE_TYPES[String(c['changeType'])] ?? 'edit',
        path: String(item['path']).replace(/^\//, ''),
        content: content ? Buffer.from(String(content['content']), encoding) : undefined,
      };
    });
    const author = commitIn['author'] as FakeCommit['author'];
    const commit = this.state.writeCommit(repo, parent ? [parent.sha] : [], FakeAzureDevOpsState.applyChanges(parent?.tree ?? new Map(), changes), String(commitIn['comment']), author);
    repo.refs.set(name, commit.sha);
    repo.defaultBranch ??= name;
    const t = template('push');
    return {
      ...t,
      commits: [{ ...this.commitShape(repo, commit, false), treeId: (firstOf({ value: t['commits'] }) as Json)['treeId'] }],
      refUpdates: [{ name, oldObjectId, newObjectId: commit.sha }],
      repository: this.repositoryShape(repo),
      pushId: this.state.nextId(),
      url: `${this.organizationUrl}/_apis/git/repositories/${repo.id}/pushes`,
    };
  }

  private commit(repo: FakeRepository, sha: string): FakeCommit {
    const c = repo.commits.get(sha);
    if (!c) throw new HttpError(404, { message: `TF401175: The version descriptor <Commit: ${sha}> could not be resolved to a version in the repository ${repo.name}` });
    return c;
  }

  private commitShape(repo: FakeRepository, c: FakeCommit, full: boolean): Json {
    const base = full ? template('commit') : firstOf(template('commits'));
    return {
      ...base,
      commitId: c.sha,
      parents: full ? c.parents : undefined,
      author: c.author,
      committer: c.author,
      comment: c.comment,
      url: `${this.organizationUrl}/_apis/git/repositories/${repo.id}/commits/${c.sha}`,
      remoteUrl: `${this.organizationUrl}/${repo.project}/_git/${repo.name}/commit/${c.sha}`,
    };
  }

  private getCommits(repo: FakeRepository, q: URLSearchParams): Json {
    const item = this.state.resolve(repo, q.get('searchCriteria.itemVersion.version'), q.get('searchCriteria.itemVersion.versionType'));
    if (!item) throw new HttpError(404, { message: 'TF401175: The version descriptor could not be resolved to a version in the repository' });
    const compare = this.state.resolve(repo, q.get('searchCriteria.compareVersion.version'), q.get('searchCriteria.compareVersion.versionType'));
    const excluded = compare ? this.state.ancestors(repo, compare.sha) : new Set<string>();
    const top = Number(q.get('searchCriteria.$top') ?? 100);
    const value = [...this.state.ancestors(repo, item.sha)]
      .filter((s) => !excluded.has(s))
      .map((s) => repo.commits.get(s) as FakeCommit)
      .sort((a, b) => b.seq - a.seq)
      .slice(0, top)
      .map((c) => this.commitShape(repo, c, false));
    return { count: value.length, value };
  }

  private revisionFor(repo: FakeRepository, q: URLSearchParams): FakeCommit {
    const c = this.state.resolve(repo, q.get('versionDescriptor.version'), q.get('versionDescriptor.versionType'));
    if (!c) throw new HttpError(404, { message: 'TF401175: The version descriptor could not be resolved to a version in the repository' });
    return c;
  }

  private itemContent(repo: FakeRepository, q: URLSearchParams): Buffer {
    const content = this.revisionFor(repo, q).tree.get(String(q.get('path')).replace(/^\//, ''));
    if (!content) throw new HttpError(404, { message: `TF401174: The item '${q.get('path') ?? ''}' could not be found in the repository` });
    return content;
  }

  private getItems(repo: FakeRepository, q: URLSearchParams): Json {
    const c = this.revisionFor(repo, q);
    const scope = String(q.get('scopePath') ?? '/').replace(/^\/|\/$/g, '');
    const [folderT, blobT] = template('items')['value'] as [Json, Json];
    const files = [...c.tree.keys()].filter((p) => !scope || p.startsWith(`${scope}/`)).sort();
    const folders = new Set<string>([scope]);
    for (const f of files) for (let i = f.indexOf('/'); i > 0; i = f.indexOf('/', i + 1)) folders.add(f.slice(0, i));
    const value = [
      ...[...folders].sort().map((p) => ({ ...folderT, commitId: c.sha, path: `/${p}` })),
      ...files.map((p) => ({ ...blobT, commitId: c.sha, path: `/${p}` })),
    ];
    return { count: value.length, value };
  }

  private getDiffs(repo: FakeRepository, q: URLSearchParams): Json {
    const base = this.state.resolve(repo, q.get('baseVersion'), q.get('baseVersionType'));
    const target = this.state.resolve(repo, q.get('targetVersion'), q.get('targetVersionType'));
    if (!base || !target) throw new HttpError(404, { message: 'TF401175: The version descriptor could not be resolved to a version in the repository' });
    const t = template('commit-diffs');
    const itemT = ((t['changes'] as Json[])[0] as Json)['item'] as Json;
    const skip = Number(q.get('$skip') ?? 0);
    const top = Number(q.get('$top') ?? 100);
    const all = FakeAzureDevOpsState.diffTrees(base.tree, target.tree);
    const changes = all.slice(skip, skip + top).map((d) => ({ item: { ...itemT, commitId: target.sha, path: `/${d.path}` }, changeType: d.changeType }));
    return { ...t, allChangesIncluded: skip + top >= all.length, changes, changeCounts: {}, commonCommit: base.sha, aheadCount: undefined, behindCount: undefined };
  }
}
