import { startRouterProcess } from './router-process';

// CLI: node tools/run.js libs/gitops/router/src/router.main.ts <stateDir> <port> [adminPort]
// SIGTERM/SIGINT stop gracefully (router.json removed); a kill -9 leaves router.json for adoption checks.

async function main(): Promise<void> {
  const [stateDir, port, adminPort] = process.argv.slice(2);
  if (!stateDir || port === undefined || !/^\d+$/.test(port) || (adminPort !== undefined && !/^\d+$/.test(adminPort))) {
    process.stderr.write('usage: router.main <stateDir> <port> [adminPort]\n');
    process.exit(2);
  }
  const running = startRouterProcess(stateDir, Number(port), {
    adminPort: adminPort === undefined ? 0 : Number(adminPort),
    log: (line) => process.stdout.write(`${new Date().toISOString()} router: ${line}\n`),
  });
  // handlers first: router.json is written before startRouterProcess resolves, and whoever reads it may signal at once
  const stop = (): void => {
    running
      .then((router) => router.stop())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await running;
}

main().catch((err: unknown) => {
  process.stderr.write(`router failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
