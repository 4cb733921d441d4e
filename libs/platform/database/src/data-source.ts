import { DataSource } from 'typeorm';
import { EventStore1763900000000 } from './migrations/1763900000000-event-store';
import { ReadModels1763900000001 } from './migrations/1763900000001-read-models';
import { ProviderWork1763900000002 } from './migrations/1763900000002-provider-work';
import { AssetRetention1763900000003 } from './migrations/1763900000003-asset-retention';
import { LedgerEntries1763900000004 } from './migrations/1763900000004-ledger-entries';
import { IdempotencyKeys1763900000005 } from './migrations/1763900000005-idempotency-keys';
import { OutboundWebhooks1763900000006 } from './migrations/1763900000006-outbound-webhooks';
import { GenerationListing1763900000007 } from './migrations/1763900000007-generation-listing';
import { ApiKeyAdmin1763900000008 } from './migrations/1763900000008-api-key-admin';
import { ProjectionRebuilds1763900000009 } from './migrations/1763900000009-projection-rebuilds';
import { StreamSubjectsAndSnapshots1763900000010 } from './migrations/1763900000010-stream-subjects-and-snapshots';
import { FlatHistoryQueries1763900000011 } from './migrations/1763900000011-flat-history-queries';
import { FairScheduling1763900000020 } from './migrations/1763900000020-fair-scheduling';
import { ProviderCircuits1763900000025 } from './migrations/1763900000025-provider-circuits';
import { RequestWebhooks1763900000030 } from './migrations/1763900000030-request-webhooks';
import { SpendCaps1763900000040 } from './migrations/1763900000040-spend-caps';
import { Batches1763900000041 } from './migrations/1763900000041-batches';

export const migrations = [
  EventStore1763900000000,
  ReadModels1763900000001,
  ProviderWork1763900000002,
  AssetRetention1763900000003,
  LedgerEntries1763900000004,
  IdempotencyKeys1763900000005,
  OutboundWebhooks1763900000006,
  GenerationListing1763900000007,
  ApiKeyAdmin1763900000008,
  ProjectionRebuilds1763900000009,
  StreamSubjectsAndSnapshots1763900000010,
  FlatHistoryQueries1763900000011,
  FairScheduling1763900000020,
  ProviderCircuits1763900000025,
  RequestWebhooks1763900000030,
  SpendCaps1763900000040,
  Batches1763900000041,
];

export interface DatabaseOptions {
  readonly url: string;
  readonly poolSize?: number;
  readonly applicationName?: string;
  /**
   * Ends a session left idle inside a transaction, so one stuck session cannot hold back
   * the xmin horizon every log reader waits on (DESIGN §2). 0 disables (PGlite ignores it).
   */
  readonly idleInTransactionTimeoutMs?: number;
}

export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    migrations,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false,
    extra: {
      max: options.poolSize ?? 10,
      application_name: options.applicationName ?? 'darkroom',
      ...(options.idleInTransactionTimeoutMs
        ? { idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs }
        : {}),
    },
  });
}

/** Applies pending migrations; the `migrate` command and the embedded mode call this. */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((migration) => migration.name);
}
