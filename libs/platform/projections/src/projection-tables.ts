import type { Sql } from '@darkroom/database';
import type { RowProjection } from './projection';

/** A table's checksum: md5 over the md5 of every row's text, in hash order, and its row count. */
export interface TableChecksum {
  readonly checksum: string;
  readonly rows: number;
}

/** Quotes an identifier for SQL text; every name here comes from code or catalog, never from a request. */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export const tablesOf = (projection: Pick<RowProjection<unknown>, 'name' | 'tables'>): readonly string[] => projection.tables ?? [projection.name];

/** The schema an unqualified table name resolves to on the session's search path. */
export async function schemaOf(sql: Sql, table: string): Promise<string> {
  const { rows } = await sql.query<{ schema: string | null }>(
    `SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
    [table],
  );
  const schema = rows[0]?.schema;
  if (!schema) throw new Error(`Projection table ${table} does not exist`);
  return schema;
}

/** Sets the search path for the rest of the caller's transaction, `schema` first when given. */
export async function useSchemaFirst(tx: Sql, schema: string | undefined, basePath: string): Promise<void> {
  await tx.query(`SELECT set_config('search_path', $1, true)`, [schema ? `${ident(schema)}, ${basePath}` : basePath]);
}

export async function currentSearchPath(sql: Sql): Promise<string> {
  const { rows } = await sql.query<{ path: string }>(`SELECT current_setting('search_path') AS path`);
  return rows[0]?.path ?? 'public';
}

const INDEX_HEAD = String.raw`^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+`;

/**
 * Creates `schema` with an empty copy of each live table: columns, defaults, constraints and
 * indexes (LIKE ... INCLUDING ALL), the indexes renamed to the live names so that after the
 * switch migrations find them where they left them.
 */
export async function createShadowTables(tx: Sql, schema: string, tables: readonly string[]): Promise<void> {
  await tx.query(`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`);
  await tx.query(`CREATE SCHEMA ${ident(schema)}`);
  for (const table of tables) {
    const live = `${ident(await schemaOf(tx, table))}.${ident(table)}`;
    const shadow = `${ident(schema)}.${ident(table)}`;
    await tx.query(`CREATE TABLE ${shadow} (LIKE ${live} INCLUDING ALL)`);
    const { rows } = await tx.query<{ live_name: string; shadow_name: string }>(
      `SELECT l.relname AS live_name, s.relname AS shadow_name
         FROM pg_index li JOIN pg_class l ON l.oid = li.indexrelid,
              pg_index si JOIN pg_class s ON s.oid = si.indexrelid
        WHERE li.indrelid = $1::regclass AND si.indrelid = $2::regclass
          AND regexp_replace(pg_get_indexdef(li.indexrelid), $3, '') = regexp_replace(pg_get_indexdef(si.indexrelid), $3, '')
        ORDER BY l.relname, s.relname`,
      [live, shadow, INDEX_HEAD],
    );
    // Pair each live index with one shadow index of the same definition, then rename in two
    // steps so that no rename collides with a name the shadow still uses.
    const pairs: { live: string; shadow: string }[] = [];
    for (const row of rows) {
      if (pairs.some((pair) => pair.live === row.live_name || pair.shadow === row.shadow_name)) continue;
      pairs.push({ live: row.live_name, shadow: row.shadow_name });
    }
    const renames = pairs.filter((pair) => pair.live !== pair.shadow);
    for (const [index, pair] of renames.entries()) {
      await tx.query(`ALTER INDEX ${ident(schema)}.${ident(pair.shadow)} RENAME TO ${ident(`rebuild_tmp_${index}`)}`);
    }
    for (const [index, pair] of renames.entries()) {
      await tx.query(`ALTER INDEX ${ident(schema)}.${ident(`rebuild_tmp_${index}`)} RENAME TO ${ident(pair.live)}`);
    }
  }
}

/**
 * Puts the shadow tables in the live tables' places within the caller's transaction: each
 * live table moves to `retiredSchema` (dropped after commit), its shadow into the live
 * schema. A serial column's sequence, which the shadow's default shares, stays in the live
 * schema and passes to the new table.
 */
export async function swapInShadowTables(
  tx: Sql,
  tables: readonly string[],
  shadowSchema: string,
  retiredSchema: string,
): Promise<void> {
  await tx.query(`DROP SCHEMA IF EXISTS ${ident(retiredSchema)} CASCADE`);
  await tx.query(`CREATE SCHEMA ${ident(retiredSchema)}`);
  for (const table of tables) {
    const liveSchema = await schemaOf(tx, table);
    const live = `${ident(liveSchema)}.${ident(table)}`;
    const { rows: sequences } = await tx.query<{ sequence: string; column_name: string }>(
      `SELECT s.relname AS sequence, a.attname AS column_name
         FROM pg_depend d
         JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
         JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.refobjid = $1::regclass AND d.deptype = 'a'`,
      [live],
    );
    await tx.query(`LOCK TABLE ${live} IN ACCESS EXCLUSIVE MODE`);
    await tx.query(`ALTER TABLE ${live} SET SCHEMA ${ident(retiredSchema)}`);
    for (const { sequence } of sequences) {
      await tx.query(`ALTER SEQUENCE ${ident(retiredSchema)}.${ident(sequence)} OWNED BY NONE`);
      await tx.query(`ALTER SEQUENCE ${ident(retiredSchema)}.${ident(sequence)} SET SCHEMA ${ident(liveSchema)}`);
    }
    await tx.query(`ALTER TABLE ${ident(shadowSchema)}.${ident(table)} SET SCHEMA ${ident(liveSchema)}`);
    for (const { sequence, column_name } of sequences) {
      await tx.query(`ALTER SEQUENCE ${ident(liveSchema)}.${ident(sequence)} OWNED BY ${live}.${ident(column_name)}`);
    }
  }
}

export async function dropSchema(sql: Sql, schema: string): Promise<void> {
  await sql.query(`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`);
}

/** Checksum of one table (schema-qualified); row text is compared, so column order matters. */
export async function tableChecksum(sql: Sql, schema: string, table: string): Promise<TableChecksum> {
  const { rows } = await sql.query<{ checksum: string; rows: string }>(
    `SELECT md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS checksum, count(*)::text AS rows
       FROM (SELECT md5(t::text) AS h FROM ${ident(schema)}.${ident(table)} t) hashed`,
  );
  return { checksum: rows[0]?.checksum ?? '', rows: Number(rows[0]?.rows ?? 0) };
}

/** One checksum over several tables (a projection's), each table's checksum in the given order. */
export async function tablesChecksum(
  sql: Sql,
  tables: readonly string[],
  schemaFor: (table: string) => Promise<string>,
): Promise<TableChecksum> {
  const sums: TableChecksum[] = [];
  for (const table of tables) sums.push(await tableChecksum(sql, await schemaFor(table), table));
  if (sums.length === 1) return sums[0];
  const { rows } = await sql.query<{ checksum: string }>(`SELECT md5($1) AS checksum`, [
    sums.map((sum) => sum.checksum).join(''),
  ]);
  return { checksum: rows[0]?.checksum ?? '', rows: sums.reduce((total, sum) => total + sum.rows, 0) };
}
