// Makes sure the two local backbones are up: NATS with JetStream on 4222 and PostgreSQL on 5432, and that the
// Debian packages the platform runs locally are installed (the OCI registry the container-image service pushes to
// and tests against; skopeo, which the image benchmark compares with). Starts the machine's own binaries when
// nothing listens and they exist; installs packages only from the machine's own apt sources.
const net = require('node:net');
const fs = require('node:fs');
const { execFileSync, spawn } = require('node:child_process');

function listening(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(port, name, seconds = 30) {
  for (let i = 0; i < seconds * 10; i++) {
    if (await listening(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not start listening on ${port} within ${seconds}s`);
}

async function ensureNats(log) {
  const url = new URL(process.env.NATS_URL ?? 'nats://127.0.0.1:4222');
  const port = Number(url.port || 4222);
  if (await listening(port, url.hostname)) return;
  if (!['127.0.0.1', 'localhost'].includes(url.hostname)) throw new Error(`NATS at ${url.host} is not reachable`);
  const bin = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => fs.existsSync(p));
  if (!bin) throw new Error(`nothing listens on ${url.host} and no nats-server binary is installed (apt-get install -y nats-server)`);
  const storeDir = fs.existsSync('/var/lib/nats-server') ? '/var/lib/nats-server' : `${process.cwd()}/.data/nats`;
  fs.mkdirSync(storeDir, { recursive: true });
  log(`starting ${bin} with JetStream on ${port}`);
  spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { detached: true, stdio: 'ignore' }).unref();
  await waitFor(port, 'nats-server');
}

async function ensurePostgres(log) {
  const port = Number(process.env.PGPORT ?? 5432);
  const host = process.env.PGHOST ?? '127.0.0.1';
  if (await listening(port, host.startsWith('/') ? '127.0.0.1' : host)) return;
  let clusters = [];
  try { clusters = fs.readdirSync('/etc/postgresql'); } catch { /* not installed */ }
  if (clusters.length === 0) throw new Error(`nothing listens on ${host}:${port} and no PostgreSQL cluster is installed (apt-get install -y postgresql)`);
  log(`starting PostgreSQL ${clusters[0]}`);
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', clusters[0], 'main', 'start'], { stdio: 'inherit' });
  await waitFor(port, 'postgresql');
}

// binary → Debian package
const DEBIAN_PACKAGES = { '/usr/bin/docker-registry': 'docker-registry', '/usr/bin/skopeo': 'skopeo' };

function ensureDebianPackages(log) {
  const missing = Object.entries(DEBIAN_PACKAGES).filter(([bin]) => !fs.existsSync(bin)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) throw new Error(`missing Debian packages ${missing.join(', ')}: run \`sudo sh -c '${command}'\``);
  log(`installing ${missing.join(', ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
}

async function ensureInfra(log = (m) => console.log(`[infra] ${m}`)) {
  ensureDebianPackages(log);
  await ensureNats(log);
  await ensurePostgres(log);
}

module.exports = { ensureInfra, listening };

if (require.main === module) {
  ensureInfra().then(() => console.log('[infra] NATS and PostgreSQL are up'), (e) => { console.error(`[infra] ${e.message}`); process.exit(1); });
}
