import { DatabaseEnv, loadConfig } from '@darkroom/config';
import { migrate } from '@darkroom/runtime';

/** `npm run migrate`: applies schema migrations to $DATABASE_URL. */
migrate(loadConfig(DatabaseEnv).DATABASE_URL)
  .then((applied) => console.log(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Schema is up to date'))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
