import path from 'node:path';

// The argv a supervisor spawns to run the router as its own process. From the compiled tree (dist/, what
// tools/run.js produces) that is `node router.main.js …`; from sources (Jest, dev) the entry is TypeScript and is
// compiled on the fly by @swc/core (a devDependency) through a require hook. router.main imports only relative
// modules and node builtins, so no @delivery/* alias resolution is needed in the child.

const swcHook = (swcPath: string): string => `
const fs = require('node:fs');
const swc = require(${JSON.stringify(swcPath)});
require.extensions['.ts'] = (m, file) => {
  const { code } = swc.transformSync(fs.readFileSync(file, 'utf8'), {
    filename: file, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' },
  });
  m._compile(code, file);
};
const entry = process.argv[1];
require(entry);
`;

export interface RouterCommand {
  command: string;
  args: string[];
}

export function routerCommand(stateDir: string, port: number, adminPort = 0): RouterCommand {
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `router.main${ext}`);
  const rest = [path.resolve(stateDir), String(port), String(adminPort)];
  // with -e, argv[1] is the first extra argument: the hook requires it and router.main reads argv.slice(2)
  return ext === '.ts' ? { command: process.execPath, args: ['-e', swcHook(require.resolve('@swc/core')), entry, ...rest] } : { command: process.execPath, args: [entry, ...rest] };
}
