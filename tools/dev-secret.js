// The local HS256 secret shared by `npm start` and tools/dev-token.js. Generated once and kept in
// .data/dev-jwt-secret so tokens minted yesterday still verify after a restart.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const root = path.resolve(__dirname, '..');
const SECRET_FILE = path.join(root, '.data', 'dev-jwt-secret');

/** { secret, source } — JWT_SECRET from the environment wins; otherwise the persisted dev secret. */
function resolveDevSecret({ create = true } = {}) {
  if (process.env.JWT_SECRET) return { secret: process.env.JWT_SECRET, source: 'JWT_SECRET' };
  if (fs.existsSync(SECRET_FILE)) {
    const secret = fs.readFileSync(SECRET_FILE, 'utf8').trim();
    if (secret) return { secret, source: path.relative(root, SECRET_FILE) };
  }
  if (!create) return undefined;
  fs.mkdirSync(path.dirname(SECRET_FILE), { recursive: true });
  // 48 random bytes: far above the 32-character minimum the auth library enforces.
  const secret = crypto.randomBytes(48).toString('base64url');
  fs.writeFileSync(SECRET_FILE, `${secret}\n`, { mode: 0o600 });
  return { secret, source: `${path.relative(root, SECRET_FILE)} (generated now)` };
}

module.exports = { resolveDevSecret, SECRET_FILE };
