#!/usr/bin/env node
// Prints a signed HS256 dev JWT that the local platform (npm start) accepts, for curl:
//   TOKEN=$(node tools/dev-token.js --tenant acme --scopes devops.releases.read,devops.releases.approve)
//   curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/dead-letters
// Secret: JWT_SECRET, else .data/dev-jwt-secret (the one npm start uses; created here if missing).
const fs = require('node:fs');
const path = require('node:path');
const { SignJWT } = require('jose');
const { resolveDevSecret } = require('./dev-secret');

const root = path.resolve(__dirname, '..');
const USAGE = `usage: node tools/dev-token.js [--tenant acme] [--sub dev-user] [--scopes a,b|all] [--actor user|agent|service]
                                [--projects p1,p2] [--ttl seconds]
Prints the token on stdout. Default scopes: every devops.<area>.<action> scope the code declares.`;

function parseArgs(argv) {
  const options = { tenant: 'acme', sub: 'dev-user', scopes: 'all', actor: 'user', projects: undefined, ttl: 8 * 3600 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    }
    const match = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    if (!match || !(match[1] in options)) fail(`unknown argument ${arg}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) fail(`${arg} needs a value`);
    options[match[1]] = value;
  }
  const slug = /^[a-z0-9][a-z0-9-]{0,62}$/;
  if (!slug.test(options.tenant)) fail(`--tenant "${options.tenant}" is not a tenant id (${slug})`);
  if (!['user', 'agent', 'service'].includes(options.actor)) fail('--actor must be user, agent or service');
  options.ttl = Number(options.ttl);
  if (!Number.isInteger(options.ttl) || options.ttl <= 0) fail('--ttl must be a positive number of seconds');
  return options;
}

function fail(message) {
  console.error(`dev-token: ${message}\n${USAGE}`);
  process.exit(2);
}

// Scopes are string literals such as 'devops.releases.approve' in services and libs; collecting them keeps the
// default token useful as new services add scopes, without a list to maintain here.
function declaredScopes() {
  const found = new Set();
  const visit = (dir) => {
    let entries = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        for (const m of fs.readFileSync(full, 'utf8').matchAll(/['"`](devops\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*)['"`]/g)) found.add(m[1]);
      }
    }
  };
  visit(path.join(root, 'services'));
  visit(path.join(root, 'libs'));
  return [...found].sort();
}

async function main() {
  const options = parseArgs(process.argv.slice(2).filter((a) => a !== '--'));
  if (process.env.JWKS_URL) console.error('dev-token: JWKS_URL is set, so the services verify tokens against it and will reject this HS256 token');
  const { secret, source } = resolveDevSecret({ create: true });
  const scopes = options.scopes === 'all' ? declaredScopes() : options.scopes.split(/[\s,]+/).filter(Boolean);
  const now = Math.floor(Date.now() / 1000);
  const claims = { tenant: options.tenant, actor_kind: options.actor };
  if (scopes.length) claims.scope = scopes.join(' ');
  if (options.projects) claims.projects = options.projects.split(',').map((p) => p.trim()).filter(Boolean);
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(options.sub).setIssuedAt(now).setExpirationTime(now + options.ttl);
  // When the platform is configured to check iss/aud, the dev token must carry them too.
  if (process.env.JWT_ISSUER) jwt = jwt.setIssuer(process.env.JWT_ISSUER);
  if (process.env.JWT_AUDIENCE) jwt = jwt.setAudience(process.env.JWT_AUDIENCE.split(',').map((a) => a.trim()).filter(Boolean));
  const token = await jwt.sign(new TextEncoder().encode(secret));
  process.stdout.write(`${token}\n`);
  if (process.stdout.isTTY) {
    console.error(`(secret from ${source}; claims ${JSON.stringify({ sub: options.sub, ...claims, exp: new Date((now + options.ttl) * 1000).toISOString() })})`);
  }
}

main().catch((error) => {
  console.error(`dev-token: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
