import { useCallback, useEffect, useState } from 'react';
import { ApiError, call } from '../api/client';
import type { CreditBalance, CreditEntry, Page } from '../api/types';

const ENTRY_LABELS: Readonly<Record<string, string>> = {
  granted: 'Granted',
  reserved: 'Reserved',
  reservation_rejected: 'Refused (not enough credits)',
  captured: 'Charged',
  released: 'Returned',
};

/** The balance and every ledger entry, newest first. */
export function CreditsPage({ apiKey, balance, version }: { apiKey: string; balance: CreditBalance | undefined; version: number }) {
  const [entries, setEntries] = useState<readonly CreditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [problem, setProblem] = useState<string>();

  const load = useCallback(
    async (after: string | null, signal?: AbortSignal) => {
      try {
        const query = new URLSearchParams({ limit: '50', ...(after ? { cursor: after } : {}) });
        const { body } = await call<Page<CreditEntry>>(apiKey, `/v1/credits/entries?${query}`, { signal });
        setEntries((current) => (after ? [...current, ...body.data] : body.data));
        setCursor(body.next_cursor);
      } catch (failure) {
        if (!signal?.aborted) setProblem(failure instanceof ApiError ? failure.describe() : String(failure));
      }
    },
    [apiKey],
  );

  useEffect(() => {
    if (!apiKey) return;
    const abort = new AbortController();
    void load(null, abort.signal);
    return () => abort.abort();
  }, [apiKey, load, version]);

  return (
    <section aria-labelledby="credits-title" className="panel">
      <h2 id="credits-title">Credits</h2>
      {balance ? (
        <dl className="facts">
          <dt>Available</dt>
          <dd>{balance.available}</dd>
          <dt>Reserved</dt>
          <dd>{balance.reserved}</dd>
          <dt>Charged</dt>
          <dd>{balance.captured}</dd>
          <dt>Granted</dt>
          <dd>{balance.granted}</dd>
        </dl>
      ) : null}
      {problem ? <p role="alert" className="error">{problem}</p> : null}
      <h3>History</h3>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Entry</th>
              <th scope="col">Credits</th>
              <th scope="col">Task or reason</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <time dateTime={entry.created_at}>{new Date(entry.created_at).toLocaleString()}</time>
                </td>
                <td>{ENTRY_LABELS[entry.type] ?? entry.type}</td>
                <td>{entry.amount}</td>
                <td>{entry.task_id ? <a href={`#/tasks/${entry.task_id}`}>{entry.task_id.slice(0, 8)}</a> : (entry.reason ?? '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cursor ? (
        <button type="button" onClick={() => void load(cursor)}>
          Load more
        </button>
      ) : null}
    </section>
  );
}
