import { useId, useState, type FormEvent } from 'react';
import type { Settings } from '../hooks';

/** The API key and the admin key, kept in this browser only. */
export function KeysPage({ settings }: { settings: Settings }) {
  const ids = { api: useId(), admin: useId() };
  const [apiKey, setApiKey] = useState(settings.apiKey);
  const [adminKey, setAdminKey] = useState(settings.adminKey);
  const [saved, setSaved] = useState(false);
  const save = (event: FormEvent) => {
    event.preventDefault();
    settings.setApiKey(apiKey);
    settings.setAdminKey(adminKey);
    setSaved(true);
  };
  return (
    <section aria-labelledby="keys-title" className="panel narrow">
      <h2 id="keys-title">Keys</h2>
      <p className="hint">Kept in this browser&apos;s storage and sent only to this darkroom. Admin pages need the admin key.</p>
      <form onSubmit={save}>
        <label htmlFor={ids.api}>API key</label>
        <input id={ids.api} type="password" autoComplete="off" spellCheck={false} value={apiKey} onChange={(event) => { setApiKey(event.target.value); setSaved(false); }} />
        <label htmlFor={ids.admin}>Admin key</label>
        <input id={ids.admin} type="password" autoComplete="off" spellCheck={false} value={adminKey} onChange={(event) => { setAdminKey(event.target.value); setSaved(false); }} />
        <button type="submit" className="primary">
          Save keys
        </button>
        <p aria-live="polite">{saved ? 'Saved.' : ''}</p>
      </form>
    </section>
  );
}
