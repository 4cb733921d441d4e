import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { healthOf, loadCircuit, loadCircuits, loadOpenCircuits, saveCircuit } from './provider-circuits';

jest.setTimeout(60_000);

let db: TestDatabase;
const now = '2026-01-01T00:00:00.000Z';

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('provider_circuits', () => {
  it('keeps one row per circuit, overwritten as it opens and closes, and lists the ones open at a time', async () => {
    await saveCircuit(db.sql, { provider: 'gemini', model: 'nano-banana', status: 'closed', failures: 2 }, now);
    await saveCircuit(db.sql, { provider: 'fal', model: 'nano-banana-fal', status: 'open', failures: 0, openUntil: '2026-01-01T00:00:10.000Z' }, now);
    expect(await loadCircuit(db.sql, 'gemini', 'nano-banana')).toEqual({ provider: 'gemini', model: 'nano-banana', status: 'closed', failures: 2 });
    expect(await loadCircuit(db.sql, 'openai', 'gpt-image-1')).toBeUndefined();

    await saveCircuit(db.sql, { provider: 'gemini', model: 'nano-banana', status: 'open', failures: 0, openUntil: '2026-01-01T00:00:30.000Z' }, now);
    expect((await loadOpenCircuits(db.sql, '2026-01-01T00:00:05.000Z')).map((row) => row.model)).toEqual(
      expect.arrayContaining(['nano-banana', 'nano-banana-fal']),
    );
    expect((await loadOpenCircuits(db.sql, '2026-01-01T00:00:20.000Z')).map((row) => row.model)).toEqual(['nano-banana']);
    const rows = await loadCircuits(db.sql);
    expect(rows).toHaveLength(2);
    expect(healthOf(rows.find((row) => row.provider === 'fal'), '2026-01-01T00:00:20.000Z')).toBe('half_open');

    await saveCircuit(db.sql, { provider: 'gemini', model: 'nano-banana', status: 'closed', failures: 0 }, now);
    expect(await loadCircuit(db.sql, 'gemini', 'nano-banana')).toEqual({ provider: 'gemini', model: 'nano-banana', status: 'closed', failures: 0 });
    expect(await loadOpenCircuits(db.sql, '2026-01-01T00:00:05.000Z')).toHaveLength(1);
  });
});
