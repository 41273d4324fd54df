import type { ModuleMetadata } from './pipeline.generator';

// Module metadata shared by the service's tests: a node module with everything, a dotnet module, a bare one.
export const nodeModule: ModuleMetadata = {
  name: 'shop',
  path: 'services/shop',
  runtime: 'node',
  runtimeVersion: '20.x',
  install: 'npm ci',
  build: 'npm run build',
  test: 'npm test -- --ci',
  pack: 'npm pack',
  testResults: { format: 'junit', glob: 'reports/junit.xml' },
  coverage: { format: 'cobertura', glob: 'coverage/cobertura-coverage.xml' },
  packages: [{ format: 'npm', path: 'services/shop/shop-1.0.0.tgz' }],
  environments: ['dev1', 'stage1', 'prod1'],
  variables: { NODE_ENV: 'production', CI: 'true' },
};

export const dotnetModule: ModuleMetadata = {
  name: 'billing',
  path: 'src/Billing',
  runtime: 'dotnet',
  runtimeVersion: '8.0',
  install: 'dotnet restore',
  build: 'dotnet build --no-restore -c Release',
  test: 'dotnet test --no-build -c Release --logger trx --results-directory TestResults',
  pack: 'dotnet pack --no-build -c Release -o out',
  testResults: { format: 'trx', glob: 'TestResults/*.trx' },
  packages: [
    { format: 'nuget', path: 'src/Billing/out/Billing.1.0.0.nupkg' },
    { format: 'nuget', path: 'src/Billing/out/Billing.Client.1.0.0.nupkg' },
  ],
  environments: ['dev1'],
  templates: ['steps/dotnet-auth.yml@templates'],
};

export const bareModule: ModuleMetadata = { name: 'tool', runtime: 'node' };
