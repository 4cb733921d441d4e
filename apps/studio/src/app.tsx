import { useCallback, useState } from 'react';
import type { Task } from './api/types';
import type { Draft } from './draft';
import { useCredits, useLiveTasks, useRoute, useSettings } from './hooks';
import { AdminPage } from './pages/admin-page';
import { CreditsPage } from './pages/credits-page';
import { GalleryPage } from './pages/gallery-page';
import { GeneratePage } from './pages/generate-page';
import { KeysPage } from './pages/keys-page';
import { TaskPage } from './pages/task-page';

const PAGES = [
  { path: '', label: 'Generate' },
  { path: 'gallery', label: 'Gallery' },
  { path: 'credits', label: 'Credits' },
  { path: 'admin', label: 'Admin' },
  { path: 'keys', label: 'Keys' },
] as const;

export function App() {
  const settings = useSettings();
  const route = useRoute();
  const [version, setVersion] = useState(0);
  const bump = useCallback(() => setVersion((value) => value + 1), []);
  const live = useLiveTasks(settings.apiKey, bump);
  const balance = useCredits(settings.apiKey, version);
  const [draft, setDraft] = useState<Draft>({ version: 0 });

  const startDraft = useCallback((next: Omit<Draft, 'version'>) => {
    setDraft((current) => ({ ...next, version: current.version + 1 }));
    window.location.hash = '#/';
  }, []);
  // The form starts from a draft once; coming back to Generate later starts afresh.
  const draftUsed = useCallback(() => setDraft((current) => ({ version: current.version })), []);
  const reusePrompt = useCallback((task: Task) => startDraft({ model: task.model, prompt: task.prompt }), [startDraft]);

  const page = route[0] ?? '';
  const needsKey = settings.ready && !settings.apiKey && page !== 'keys' && page !== 'admin';

  return (
    <>
      {/* The URL hash is the route: the skip link moves focus itself instead of changing it. */}
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="site-header">
        <h1 className="brand">
          <span aria-hidden="true" className="brand-mark" />
          darkroom <span className="brand-studio">Studio</span>
        </h1>
        <nav aria-label="Main">
          <ul>
            {PAGES.map((item) => (
              <li key={item.path}>
                <a href={`#/${item.path}`} aria-current={page === item.path ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <p className="balance" aria-label="Credits">
          {balance ? (
            <>
              <span>
                <strong data-testid="available">{balance.available}</strong> available
              </span>
              <span>
                <strong data-testid="reserved">{balance.reserved}</strong> reserved
              </span>
            </>
          ) : (
            <span>{settings.apiKey ? 'Loading credits…' : 'No API key'}</span>
          )}
        </p>
      </header>
      <main id="main" tabIndex={-1}>
        {needsKey ? (
          <p className="notice" role="alert">
            Paste an API key on the <a href="#/keys">Keys</a> page to start.
          </p>
        ) : null}
        {page === '' && <GeneratePage apiKey={settings.apiKey} live={live} draft={draft} onDraftUsed={draftUsed} onReusePrompt={reusePrompt} onEdit={startDraft} />}
        {page === 'gallery' && <GalleryPage apiKey={settings.apiKey} onReusePrompt={reusePrompt} onEdit={startDraft} />}
        {page === 'tasks' && route[1] && <TaskPage apiKey={settings.apiKey} taskId={route[1]} onTask={live.upsert} />}
        {page === 'credits' && <CreditsPage apiKey={settings.apiKey} balance={balance} version={version} />}
        {page === 'admin' && <AdminPage adminKey={settings.adminKey} onAdminKey={settings.setAdminKey} />}
        {page === 'keys' && <KeysPage settings={settings} />}
        {!PAGES.some((item) => item.path === page) && page !== 'tasks' && (
          <p>
            Nothing here. <a href="#/">Back to Generate</a>
          </p>
        )}
      </main>
    </>
  );
}
