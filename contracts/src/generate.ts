import * as path from 'node:path';
import { renderContractFiles } from './contract-files';
import { findWorkspaceRoot, staleContractFiles, writeContractFiles } from './contract-files.fs';

// `npm run contracts:generate` writes contracts/asyncapi.json and contracts/schemas/*.json from the catalogue;
// `npm run contracts:generate -- --check` writes nothing and exits 1 listing what is stale (for CI).
// This runs from dist/, so the output directory is found by walking up to the workspace root.
function main(argv: string[]): number {
  const contractsDir = path.join(findWorkspaceRoot(__dirname), 'contracts');
  const files = renderContractFiles();
  if (argv.includes('--check')) {
    const stale = staleContractFiles(contractsDir, files);
    if (stale.length === 0) {
      console.log(`contracts: all ${files.size} generated files are up to date`);
      return 0;
    }
    console.error(`contracts: ${stale.length} generated file(s) are stale; run \`npm run contracts:generate\`:\n  ${stale.join('\n  ')}`);
    return 1;
  }
  const touched = writeContractFiles(contractsDir, files);
  console.log(`contracts: ${files.size} files in ${contractsDir}; ${touched.length} written or removed${touched.length ? `:\n  ${touched.join('\n  ')}` : ''}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
