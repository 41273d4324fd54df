import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

// DESIGN §2: a service never imports another service; libs never import services; contracts import nothing of
// ours. The rule is enforced by Nx tags through ESLint; this proves it is switched on and bites.
describe('module boundaries (Nx tags + @nx/enforce-module-boundaries)', () => {
  beforeAll(() => {
    // The rule reads Nx's project graph; make sure it exists and is current.
    execFileSync(process.execPath, [require.resolve('nx/bin/nx'), 'show', 'projects'], { cwd: root, stdio: 'ignore', env: { ...process.env, NX_DAEMON: 'false' } });
  });

  // ESLint runs as its own process: its flat config is an ES module, which Jest's VM cannot import.
  const violations = async (file: string, code: string): Promise<string[]> => {
    let output: string;
    try {
      output = execFileSync(process.execPath, [path.join(root, 'node_modules/eslint/bin/eslint.js'), '--format', 'json', '--stdin', '--stdin-filename', file], { cwd: root, input: code, encoding: 'utf8' });
    } catch (error) {
      output = (error as { stdout: string }).stdout; // exit 1 when there are errors
    }
    const [result] = JSON.parse(output) as Array<{ messages: Array<{ ruleId: string; message: string }> }>;
    return result!.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  };

  // Services are Nx applications (projectType): nothing may import one, another service included.
  it('rejects importing a service, from a library or from anywhere else', async () => {
    const importOps = "import { x } from '@delivery/ops';\nexport const y = x;\n";
    expect(await violations('libs/platform/messaging/src/boundary-probe.ts', importOps)).toEqual(['Imports of apps are forbidden']);
    expect(await violations('bench/src/boundary-probe.ts', importOps)).toEqual(['Imports of apps are forbidden']);
  });

  it('rejects reaching into another project by relative path', async () => {
    expect(await violations('libs/platform/messaging/src/boundary-probe.ts', "import { x } from '../../../../services/ops/src/main';\nexport const y = x;\n")).toEqual([
      expect.stringMatching(/must begin with a npm scope/),
    ]);
  });

  it('rejects contracts importing a platform library', async () => {
    expect(await violations('contracts/src/boundary-probe.ts', "import { uuidv7 } from '@delivery/messaging';\nexport const y = uuidv7;\n")).toHaveLength(1);
  });

  it('allows a service to import contracts and libraries', async () => {
    expect(await violations('services/ops/src/boundary-probe.ts', "import { BusNames } from '@delivery/contracts';\nimport { uuidv7 } from '@delivery/messaging';\nexport const y = [BusNames, uuidv7];\n")).toEqual([]);
  });
});
