import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Circuit breakers per (provider, model) (issue 17, decision 0025): the state folded from each
 * `provider-circuit-…` stream, written by the generation service in the transaction that
 * appends the circuit's events. Read per accepted attempt (one primary-key lookup), per
 * retry decision, by `GET /v1/models` (`health`) and by the `darkroom_provider_circuit_open`
 * gauge.
 */
export class ProviderCircuits1763900000025 implements MigrationInterface {
  name = 'ProviderCircuits1763900000025';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE provider_circuits (
        provider text NOT NULL,
        model text NOT NULL,
        status text NOT NULL CHECK (status IN ('closed', 'open')),
        failures integer NOT NULL DEFAULT 0,
        open_until timestamptz,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (provider, model)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE provider_circuits`);
  }
}
