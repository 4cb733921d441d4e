import nx from '@nx/eslint-plugin';

const testTiers = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'];

const bannedInDomain = [
  '@nestjs/*',
  'typeorm',
  'pg',
  'amqplib',
  'amqp-connection-manager',
  '@aws-sdk/*',
  'sharp',
  'express',
  '@electric-sql/*',
  's3rver',
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', 'tmp', '.nx', '**/webpack.config.js', 'jest.*.js', 'test-results'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': ['error', boundaries(false)],
    },
  },
  {
    // Tests may also use the shared test helpers.
    files: testTiers,
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(true)] },
  },
];

function boundaries(inTests) {
  const withTesting = (tags) => (inTests ? [...tags, 'type:testing'] : tags);
  return {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            // The rules of the business import no framework, driver or SDK (STYLE.md §1).
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:domain', 'type:contracts'],
              bannedExternalImports: bannedInDomain,
            },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'], bannedExternalImports: bannedInDomain },
            { sourceTag: 'type:providers', onlyDependOnLibsWithTags: ['type:providers', 'type:domain', 'type:contracts'] },
            {
              sourceTag: 'type:platform',
              onlyDependOnLibsWithTags: ['type:platform', 'type:providers', 'type:domain', 'type:contracts'],
            },
            {
              sourceTag: 'type:service',
              onlyDependOnLibsWithTags: ['type:service', 'type:platform', 'type:providers', 'type:domain', 'type:contracts'],
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:service', 'type:platform', 'type:providers', 'type:domain', 'type:contracts'],
            },
            { sourceTag: 'type:testing', notDependOnLibsWithTags: ['type:app'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:contracts', 'type:domain', 'type:platform'] },
          ].map((rule) => (rule.onlyDependOnLibsWithTags ? { ...rule, onlyDependOnLibsWithTags: withTesting(rule.onlyDependOnLibsWithTags) } : rule)),
  };
}
