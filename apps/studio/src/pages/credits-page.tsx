import type { CreditBalance, CreditEntry } from '../api/types';
import { usePagedList } from '../hooks';
import { Table } from '../components/table';

const ENTRY_LABELS: Readonly<Record<string, string>> = {
  granted: 'Granted',
  reserved: 'Reserved',
  reservation_rejected: 'Refused (not enough credits)',
  captured: 'Charged',
  released: 'Returned',
};

/** The balance and every ledger entry, newest first. */
export function CreditsPage({ apiKey, balance, version }: { apiKey: string; balance: CreditBalance | undefined; version: number }) {
  const list = usePagedList<CreditEntry>(apiKey, '/v1/credits/entries?limit=50', version);

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
      {list.problem ? <p role="alert" className="error">{list.problem}</p> : null}
      <h3>History</h3>
      <Table columns={['When', 'Entry', 'Credits', 'Task or reason']}>
        {list.items.map((entry) => (
          <tr key={entry.id}>
            <td>
              <time dateTime={entry.created_at}>{new Date(entry.created_at).toLocaleString()}</time>
            </td>
            <td>{ENTRY_LABELS[entry.type] ?? entry.type}</td>
            <td>{entry.amount}</td>
            <td>{entry.task_id ? <a href={`#/tasks/${entry.task_id}`}>{entry.task_id.slice(0, 8)}</a> : (entry.reason ?? '')}</td>
          </tr>
        ))}
      </Table>
      {list.hasMore ? (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      ) : null}
    </section>
  );
}
