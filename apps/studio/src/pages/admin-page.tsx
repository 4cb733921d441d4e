import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { ApiError, call } from '../api/client';
import type { DeadLetter, Projection, RebuildJob } from '../api/types';
import { formatDuration } from '../lib/tasks';
import { Table } from '../components/table';

const REFRESH_MS = 2_000;

const describe = (failure: unknown) => (failure instanceof ApiError ? failure.describe() : String(failure));

/** Projections (lag, rebuild with progress) and dead letters (re-drive), with the admin key. */
export function AdminPage({ adminKey, onAdminKey }: { adminKey: string; onAdminKey(key: string): void }) {
  const [projections, setProjections] = useState<readonly Projection[]>([]);
  const [letters, setLetters] = useState<readonly DeadLetter[]>();
  const [problem, setProblem] = useState<string>();
  const [notice, setNotice] = useState<string>();

  const refresh = useCallback(
    async (signal?: AbortSignal) => {
      try {
        const [listed, dead] = await Promise.all([
          call<{ data: Projection[] }>(adminKey, '/admin/projections', { signal }),
          call<{ data: DeadLetter[] }>(adminKey, '/admin/dead-letters', { signal }),
        ]);
        setProjections(listed.body.data);
        setLetters(dead.body.data);
        setProblem(undefined);
      } catch (failure) {
        if (!signal?.aborted) setProblem(describe(failure));
      }
    },
    [adminKey],
  );

  useEffect(() => {
    if (!adminKey) return;
    const abort = new AbortController();
    void refresh(abort.signal);
    const timer = setInterval(() => void refresh(abort.signal), REFRESH_MS);
    return () => {
      clearInterval(timer);
      abort.abort();
    };
  }, [adminKey, refresh]);

  const act = async (path: string, done: (body: Record<string, unknown>) => string) => {
    setNotice(undefined);
    try {
      const { body } = await call<Record<string, unknown>>(adminKey, path, { method: 'POST', body: {} });
      setNotice(done(body));
      await refresh();
    } catch (failure) {
      setProblem(describe(failure));
    }
  };

  if (!adminKey) return <AdminKeyForm onAdminKey={onAdminKey} />;
  return (
    <section aria-labelledby="admin-title" className="panel">
      <h2 id="admin-title">Admin</h2>
      {problem ? <p role="alert" className="error">{problem}</p> : null}
      <p aria-live="polite" className="notice-line">
        {notice ?? ''}
      </p>
      <h3>Projections</h3>
      <Table columns={['Projection', 'Events behind', 'Last batch', 'Latest rebuild', { hidden: 'Actions' }]}>
        {projections.map((projection) => (
          <tr key={projection.name} data-projection={projection.name}>
            <th scope="row">{projection.name}</th>
            <td>{projection.lag.events_behind}</td>
            <td>{projection.lag.last_batch_at ? new Date(projection.lag.last_batch_at).toLocaleTimeString() : '—'}</td>
            <td>{projection.rebuild ? <RebuildProgress job={projection.rebuild} /> : 'none'}</td>
            <td>
              <button
                type="button"
                onClick={() => void act(`/admin/projections/${projection.name}/rebuild`, () => `Rebuild of ${projection.name} queued.`)}
                disabled={projection.rebuild?.state === 'queued' || projection.rebuild?.state === 'running' || projection.rebuild?.state === 'switching'}
                aria-label={`Rebuild ${projection.name}`}
              >
                Rebuild
              </button>
            </td>
          </tr>
        ))}
      </Table>
      <h3>Dead letters</h3>
      {letters && letters.length === 0 ? <p>No dead letters.</p> : null}
      {letters && letters.length > 0 ? (
        <>
          <button type="button" onClick={() => void act('/admin/dead-letters/redrive', (body) => `Re-drove ${String(body['redriven'])} dead letter(s).`)}>
            Re-drive all
          </button>
          <Table columns={['Consumer', 'Event', 'Attempts', 'Error', { hidden: 'Actions' }]}>
            {letters.map((letter) => (
              <tr key={letter.id}>
                <td>{letter.consumer}</td>
                <td>
                  {letter.message.type} <span className="hint">{letter.message.stream_id}</span>
                </td>
                <td>{letter.attempts}</td>
                <td>{letter.error ?? ''}</td>
                <td>
                  <button
                    type="button"
                    onClick={() => void act(`/admin/dead-letters/${encodeURIComponent(letter.id)}/redrive`, () => `Re-drove ${letter.message.type}.`)}
                    aria-label={`Re-drive ${letter.message.type} for ${letter.consumer}`}
                  >
                    Re-drive
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        </>
      ) : null}
    </section>
  );
}

function RebuildProgress({ job }: { job: RebuildJob }) {
  const total = job.events_total ?? 0;
  const percent = total > 0 ? Math.min(100, Math.round((job.events_done / total) * 100)) : job.state === 'completed' ? 100 : 0;
  return (
    <div className="rebuild">
      <span data-testid="rebuild-state">{job.state}</span>{' '}
      <progress max={100} value={percent} aria-label={`Rebuild of ${job.projection}: ${percent}%`}>
        {percent}%
      </progress>{' '}
      <span className="hint">
        {job.events_done}/{job.events_total ?? '?'} events
        {job.rate_per_second ? ` · ${job.rate_per_second}/s` : ''}
        {job.eta_seconds ? ` · ${formatDuration(job.eta_seconds * 1000)} left` : ''}
        {job.error ? ` · ${job.error}` : ''}
      </span>
    </div>
  );
}

function AdminKeyForm({ onAdminKey }: { onAdminKey(key: string): void }) {
  const id = useId();
  const [key, setKey] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onAdminKey(key);
  };
  return (
    <section aria-labelledby="admin-title" className="panel narrow">
      <h2 id="admin-title">Admin</h2>
      <form onSubmit={submit}>
        <label htmlFor={id}>Admin key</label>
        <input id={id} type="password" autoComplete="off" spellCheck={false} value={key} onChange={(event) => setKey(event.target.value)} required />
        <button type="submit" className="primary">
          Open admin
        </button>
      </form>
    </section>
  );
}
