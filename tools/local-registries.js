// The package feed and container registry of the local platform (`npm start`): Verdaccio (npm registry protocol)
// and Debian's docker-registry (OCI distribution API), both on loopback with their storage under .data/. Reused
// when something already listens on their ports; started otherwise and stopped with the platform.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { listening } = require('./infra');

const root = path.resolve(__dirname, '..');

async function waitListening(port, name, child, seconds = 30) {
  for (let i = 0; i < seconds * 10; i++) {
    if (await listening(port)) return;
    if (child.exitCode !== null) throw new Error(`${name} exited (code ${child.exitCode}) before listening on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on ${port} within ${seconds}s`);
}

function verdaccioConfig(storage, port) {
  return [
    `storage: ${JSON.stringify(storage)}`,
    'auth:',
    '  htpasswd:',
    `    file: ${JSON.stringify(path.join(storage, 'htpasswd'))}`,
    'uplinks: {}',
    'packages:',
    "  '**':",
    '    access: $all',
    '    publish: $all',
    '    unpublish: $authenticated',
    `listen: 127.0.0.1:${port}`,
    'log: { type: stdout, format: json, level: warn }',
    '',
  ].join('\n');
}

function registryConfig(storage, port) {
  return [
    'version: 0.1',
    'log: { level: warn }',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storage)}`,
    '  delete: { enabled: true }',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
}

/** Starts what is missing; resolves with the env the services need and a stop function. */
async function startLocalRegistries({ dataDir, log }) {
  const npmPort = Number(process.env.NPM_REGISTRY_PORT ?? 4873);
  const ociPort = Number(process.env.OCI_REGISTRY_PORT ?? 5000);
  const children = [];
  const start = async (name, port, command, args) => {
    if (await listening(port)) {
      log(`${name}: something already listens on ${port}; using it`);
      return;
    }
    const env = { ...process.env, NODE_NO_WARNINGS: '1', REGISTRY_HTTP_SECRET: process.env.REGISTRY_HTTP_SECRET ?? 'local-platform' };
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    await waitListening(port, name, child);
    log(`${name} on 127.0.0.1:${port}`);
  };

  const verdaccioDir = path.join(dataDir, 'verdaccio');
  fs.mkdirSync(verdaccioDir, { recursive: true });
  fs.writeFileSync(path.join(verdaccioDir, 'config.yaml'), verdaccioConfig(path.join(verdaccioDir, 'storage'), npmPort));
  await start('npm registry (Verdaccio)', npmPort, process.execPath, [path.join(root, 'node_modules', 'verdaccio', 'bin', 'verdaccio'), '--config', path.join(verdaccioDir, 'config.yaml')]);

  const registryDir = path.join(dataDir, 'oci-registry');
  fs.mkdirSync(registryDir, { recursive: true });
  fs.writeFileSync(path.join(registryDir, 'config.yml'), registryConfig(path.join(registryDir, 'storage'), ociPort));
  if (fs.existsSync('/usr/bin/docker-registry')) await start('OCI registry (docker-registry)', ociPort, '/usr/bin/docker-registry', ['serve', path.join(registryDir, 'config.yml')]);
  else log('no /usr/bin/docker-registry: container images have no local registry (apt-get install -y docker-registry)');

  const ociHost = `127.0.0.1:${ociPort}`;
  const env = {
    PACKAGE_FEEDS:
      process.env.PACKAGE_FEEDS ??
      JSON.stringify({
        local: { kind: 'nuget-folder', path: path.join(dataDir, 'feeds', 'nuget') },
        npm: { kind: 'npm-registry', url: `http://127.0.0.1:${npmPort}/` },
      }),
    CONTAINER_REGISTRIES: process.env.CONTAINER_REGISTRIES ?? JSON.stringify({ [ociHost]: { url: `http://${ociHost}`, kind: 'distribution' } }),
    DEFAULT_REGISTRY: process.env.DEFAULT_REGISTRY ?? ociHost,
  };
  const stop = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  return { env, stop };
}

module.exports = { startLocalRegistries };
