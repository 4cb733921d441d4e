import { createDataSource, runMigrations } from '@darkroom/database';

/** The `migrate` command: applies pending schema migrations to `databaseUrl` and reports them. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const dataSource = createDataSource({ url: databaseUrl, poolSize: 1, applicationName: 'darkroom-migrate' });
  await dataSource.initialize();
  try {
    return await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
