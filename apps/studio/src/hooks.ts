import { useCallback, useEffect, useState } from 'react';
import { ApiError, call, fetchBlob } from './api/client';
import { followTask } from './api/status-stream';
import type { CreditBalance, Page, Task } from './api/types';
import { endedAt, isTerminal, mergeTask } from './lib/tasks';

const API_KEY = 'darkroom.apiKey';
const ADMIN_KEY = 'darkroom.adminKey';

export interface Settings {
  readonly apiKey: string;
  readonly adminKey: string;
  readonly ready: boolean;
  setApiKey(key: string): void;
  setAdminKey(key: string): void;
}

/** The keys, kept in this browser's storage; the embedded mode offers its dev key when none is stored. */
export function useSettings(): Settings {
  const [apiKey, setApiKeyState] = useState(() => localStorage.getItem(API_KEY) ?? '');
  const [adminKey, setAdminKeyState] = useState(() => localStorage.getItem(ADMIN_KEY) ?? '');
  const [ready, setReady] = useState(apiKey !== '');
  useEffect(() => {
    if (apiKey) return;
    let live = true;
    call<{ dev_api_key: string | null }>('', '/studio-config.json')
      .then(({ body }) => {
        if (live && body.dev_api_key) setApiKeyState(body.dev_api_key);
      })
      .catch(() => undefined)
      .finally(() => live && setReady(true));
    return () => {
      live = false;
    };
    // Only at start: clearing the key later must not bring the dev key back.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const remember = (name: string, set: (key: string) => void) => (key: string) => {
    const trimmed = key.trim();
    if (trimmed) localStorage.setItem(name, trimmed);
    else localStorage.removeItem(name);
    set(trimmed);
  };
  return { apiKey, adminKey, ready, setApiKey: remember(API_KEY, setApiKeyState), setAdminKey: remember(ADMIN_KEY, setAdminKeyState) };
}

/** The route from the URL hash: `#/`, `#/gallery`, `#/tasks/<id>`, `#/credits`, `#/admin`, `#/keys`. */
export function useRoute(): readonly string[] {
  const parse = () => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const changed = () => {
      setRoute(parse());
      window.scrollTo(0, 0);
    };
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

/** The current time, every `ms` while `active`. */
export function useNow(ms: number, active = true): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms, active]);
  return now;
}

/** At most this many status streams at once: a browser gives one origin six connections. */
const MAX_STREAMS = 3;
const POLL_MS = 4_000;
const SETTLE_POLL_MS = 1_500;

export interface LiveTasks {
  readonly tasks: readonly Task[];
  readonly error: string | undefined;
  upsert(task: Task): void;
}

/**
 * The caller's newest tasks, kept current: the newest running ones over their status streams,
 * any others by polling. `onChange` (stable) hears every status change: the balance follows it.
 */
export function useLiveTasks(apiKey: string, onChange: () => void): LiveTasks {
  // Kept with the key they belong to: another key starts from an empty list.
  const [state, setState] = useState<{ owner: string; tasks: readonly Task[]; error?: string }>({ owner: apiKey, tasks: [] });
  const tasks = state.owner === apiKey ? state.tasks : [];
  const error = state.owner === apiKey ? state.error : undefined;
  const upsert = useCallback(
    (task: Task) => setState((current) => ({ owner: apiKey, tasks: mergeTask(current.owner === apiKey ? current.tasks : [], task) })),
    [apiKey],
  );
  /** One look at a task; a failed look is simply retried by whichever loop asked. */
  const refresh = useCallback(
    (id: string, signal: AbortSignal) => {
      call<Task>(apiKey, `/v1/generations/${id}`, { signal }).then(({ body }) => upsert(body), () => undefined);
    },
    [apiKey, upsert],
  );
  const statuses = tasks.map((task) => `${task.id}:${task.status}`).join(',');
  useEffect(() => onChange(), [statuses, onChange]);

  useEffect(() => {
    if (!apiKey) return;
    const abort = new AbortController();
    call<Page<Task>>(apiKey, '/v1/generations?limit=20', { signal: abort.signal })
      .then(({ body }) => body.data.forEach(upsert))
      .catch((failure: unknown) => {
        if (!abort.signal.aborted) setState({ owner: apiKey, tasks: [], error: failure instanceof ApiError ? failure.describe() : String(failure) });
      });
    return () => abort.abort();
  }, [apiKey, upsert]);

  const running = tasks.filter((task) => !isTerminal(task.status)).map((task) => task.id);
  const streamed = running.slice(0, MAX_STREAMS);
  const streamedKey = streamed.join(',');
  const polled = running.slice(MAX_STREAMS).join(',');

  useEffect(() => {
    if (!apiKey || !streamedKey) return;
    const abort = new AbortController();
    for (const id of streamedKey.split(',')) {
      void followTask(apiKey, id, upsert, abort.signal, () => refresh(id, abort.signal));
    }
    return () => abort.abort();
  }, [apiKey, streamedKey, upsert, refresh]);

  useEffect(() => {
    if (!apiKey || !polled) return;
    const abort = new AbortController();
    const timer = setInterval(() => {
      for (const id of polled.split(',')) {
        refresh(id, abort.signal);
      }
    }, POLL_MS);
    return () => {
      clearInterval(timer);
      abort.abort();
    };
  }, [apiKey, polled, refresh]);

  // A task ends before its credits settle (the ledger captures or releases them just after):
  // look again until they have, for a minute at most.
  const ended = tasks.filter((task) => isTerminal(task.status) && task.credits.state === 'reserved');
  const now = useNow(SETTLE_POLL_MS, ended.length > 0);
  const unsettled = ended
    .filter((task) => now - Date.parse(endedAt(task) ?? task.created_at) < 60_000)
    .map((task) => task.id)
    .join(',');
  useEffect(() => {
    if (!apiKey || !unsettled) return;
    const abort = new AbortController();
    for (const id of unsettled.split(',')) {
      refresh(id, abort.signal);
    }
    return () => abort.abort();
  }, [apiKey, unsettled, refresh, now]);

  return { tasks, error, upsert };
}

/** The balance: loaded at start, after each task status change (`version`) and every 15 s. */
export function useCredits(apiKey: string, version: number): CreditBalance | undefined {
  const [balance, setBalance] = useState<{ owner: string; balance: CreditBalance }>();
  useEffect(() => {
    if (!apiKey) return;
    const abort = new AbortController();
    const load = () =>
      call<CreditBalance>(apiKey, '/v1/credits?limit=1', { signal: abort.signal }).then(
        ({ body }) => setBalance({ owner: apiKey, balance: body }),
        () => undefined,
      );
    void load();
    // The balance projection trails the task's own events by a moment: look again shortly after.
    const soon = setTimeout(load, 1_500);
    const timer = setInterval(load, 15_000);
    return () => {
      clearTimeout(soon);
      clearInterval(timer);
      abort.abort();
    };
  }, [apiKey, version]);
  return balance?.owner === apiKey ? balance.balance : undefined;
}

/** An object URL of a stored image, fetched with the API key; revoked when no longer shown. */
export function useAssetUrl(apiKey: string, assetId: string | undefined): { url?: string; error?: string } {
  const [state, setState] = useState<{ url?: string; error?: string }>({});
  useEffect(() => {
    if (!assetId || !apiKey) return;
    const abort = new AbortController();
    let url: string | undefined;
    fetchBlob(apiKey, `/v1/assets/${assetId}/content`, abort.signal).then(
      (blob) => {
        url = URL.createObjectURL(blob);
        setState({ url });
      },
      (failure: unknown) => !abort.signal.aborted && setState({ error: failure instanceof Error ? failure.message : String(failure) }),
    );
    return () => {
      abort.abort();
      if (url) URL.revokeObjectURL(url);
      setState({});
    };
  }, [apiKey, assetId]);
  return state;
}

export interface PagedList<T> {
  readonly items: readonly T[];
  readonly hasMore: boolean;
  readonly loading: boolean;
  readonly problem: string | undefined;
  loadMore(): void;
}

/**
 * A newest-first list the API pages with `next_cursor` (`path` carries the other query
 * parameters): the first page on start and whenever `version` changes, more on demand.
 */
export function usePagedList<T>(apiKey: string, path: string, version = 0): PagedList<T> {
  const [state, setState] = useState<{ items: readonly T[]; cursor: string | null; loading: boolean; problem?: string }>({
    items: [],
    cursor: null,
    loading: true,
  });
  const load = useCallback(
    async (after: string | null, signal?: AbortSignal) => {
      setState((current) => ({ ...current, loading: true }));
      try {
        const separator = path.includes('?') ? '&' : '?';
        const cursor = after ? `${separator}cursor=${encodeURIComponent(after)}` : '';
        const { body } = await call<Page<T>>(apiKey, `${path}${cursor}`, { signal });
        setState((current) => ({ items: after ? [...current.items, ...body.data] : body.data, cursor: body.next_cursor, loading: false }));
      } catch (failure) {
        if (!signal?.aborted) setState((current) => ({ ...current, loading: false, problem: failure instanceof ApiError ? failure.describe() : String(failure) }));
      }
    },
    [apiKey, path],
  );
  useEffect(() => {
    if (!apiKey) return;
    const abort = new AbortController();
    void load(null, abort.signal);
    return () => abort.abort();
  }, [apiKey, load, version]);
  return {
    items: state.items,
    hasMore: state.cursor !== null,
    loading: state.loading,
    problem: state.problem,
    loadMore: () => void load(state.cursor),
  };
}
