// Three tiers (STYLE.md §16): unit specs beside the code, integration specs against the
// machine's PostgreSQL / RabbitMQ / s3rver, and e2e with every service as its own process.
const preset = require('./jest.preset');

module.exports = {
  projects: [
    { ...preset, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'] },
    {
      ...preset,
      displayName: 'int',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.int-spec.ts'],
      slowTestThreshold: 30,
    },
    {
      ...preset,
      displayName: 'e2e',
      testMatch: ['<rootDir>/apps/e2e/**/*.e2e-spec.ts'],
      slowTestThreshold: 120,
    },
  ],
};
