import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Module boundaries (DESIGN §2): contracts depend on nothing of ours; libs on contracts and platform libs;
// services on contracts and libs, never on another service.
export default [
  { ignores: ['**/node_modules/**', 'dist/**', '.nx/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib'] },
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib'] },
            { sourceTag: 'scope:platform', onlyDependOnLibsWithTags: ['scope:shared', 'scope:platform'] },
            // a context's code uses the platform and its own context's libs, never another context's
            { sourceTag: 'scope:source-control', onlyDependOnLibsWithTags: ['scope:shared', 'scope:platform', 'scope:source-control'] },
            // the release context reads the GitOps repository through source control's directory and provider
            { sourceTag: 'scope:release', onlyDependOnLibsWithTags: ['scope:shared', 'scope:platform', 'scope:source-control', 'scope:release'] },
            // pipelines live in and run from repositories: they read and commit through source control's libs
            { sourceTag: 'scope:pipelines', onlyDependOnLibsWithTags: ['scope:shared', 'scope:platform', 'scope:source-control', 'scope:pipelines'] },
            { sourceTag: 'scope:packaging', onlyDependOnLibsWithTags: ['scope:shared', 'scope:platform', 'scope:packaging'] },
            // GitOps sync reads the GitOps repository through source control's libs
            { sourceTag: 'scope:gitops', onlyDependOnLibsWithTags: ['scope:shared', 'scope:platform', 'scope:source-control', 'scope:gitops'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // integration tests start the real services a flow crosses (never mocked); production code never does
    files: ['services/**/*.int.spec.ts', 'services/**/*.e2e.spec.ts', 'services/**/*.testing.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
