import nx from '@nx/eslint-plugin';
import jsxA11y from 'eslint-plugin-jsx-a11y';
import reactHooks from 'eslint-plugin-react-hooks';

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
    files: ['**/*.ts', '**/*.tsx'],
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
  {
    // Time is read through the kernel's Clock (issue 13): injected, so tests can fix it. Tests,
    // test fixtures and helpers, the Studio (a browser app) and the clock itself may read it.
    files: ['libs/**/*.ts', 'apps/**/*.ts'],
    ignores: [...testTiers, '**/*.fixture.ts', '**/*.fixtures.ts', 'libs/testing/**', 'apps/e2e/**', 'apps/studio/**', 'libs/kernel/src/clock.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='Date'][property.name='now']", message: 'Read the time from the injected Clock (CLOCK, or a `clock` option), not Date.now().' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Read the time from the injected Clock (CLOCK, or a `clock` option), not new Date().' },
        { selector: "CallExpression[callee.name='Date']", message: 'Read the time from the injected Clock, not Date().' },
      ],
    },
  },
  {
    // The Studio: React's rules of hooks and accessible markup (issue 7).
    files: ['apps/studio/**/*.ts', 'apps/studio/**/*.tsx'],
    ...reactHooks.configs.flat['recommended-latest'],
    rules: {
      ...reactHooks.configs.flat['recommended-latest'].rules,
      // Pages load data in effects and set it when the answer arrives; the rule cannot tell
      // those sets (after an await) from a synchronous one.
      'react-hooks/set-state-in-effect': 'off',
    },
  },
  { files: ['apps/studio/**/*.tsx'], ...jsxA11y.flatConfigs.strict },
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
            // Providers read their settings with the platform's config (issue 13); the platform
            // knows neither providers nor services: the apps build and hand them over.
            { sourceTag: 'type:providers', onlyDependOnLibsWithTags: ['type:providers', 'type:platform', 'type:domain', 'type:contracts'] },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:domain', 'type:contracts'] },
            // A read model: its row, its pure evolve over the events it reads, its SQL. Owned by no
            // service; services host its runner, the edge reads it.
            {
              sourceTag: 'type:read-model',
              onlyDependOnLibsWithTags: ['type:read-model', 'type:platform', 'type:domain', 'type:contracts'],
            },
            // A service never imports another service (issue 13): what crosses between them is an
            // event, a port from the contracts or a read model; the apps compose the services.
            {
              sourceTag: 'type:service',
              onlyDependOnLibsWithTags: ['type:read-model', 'type:platform', 'type:providers', 'type:domain', 'type:contracts'],
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:service', 'type:read-model', 'type:platform', 'type:providers', 'type:domain', 'type:contracts'],
            },
            { sourceTag: 'type:testing', notDependOnLibsWithTags: ['type:app'] },
            // The Studio talks to darkroom only over the public API: it imports no workspace library.
            { sourceTag: 'type:studio', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:contracts', 'type:domain', 'type:platform'] },
          ].map((rule) => (rule.onlyDependOnLibsWithTags ? { ...rule, onlyDependOnLibsWithTags: withTesting(rule.onlyDependOnLibsWithTags) } : rule)),
  };
}
