import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError, call } from '../api/client';
import type { Model, Task } from '../api/types';
import type { Draft } from '../draft';
import { SubmissionKeys } from '../lib/idempotency';
import { describeCapabilities, describePricing, estimatePrice, sizeChoice } from '../lib/model-form';
import { ImageDrop, type PickedImage } from './image-drop';

interface GenerateFormProps {
  readonly apiKey: string;
  readonly models: readonly Model[];
  readonly draft: Draft;
  /** The form took the draft's content (at mount): it is not offered again. */
  onDraftUsed(): void;
  onCreated(task: Task): void;
}

const canEdit = (model: Model) => model.available && model.capabilities.edit;

/** The model a draft asks for, or one that can edit when the draft brings images to edit. */
function draftModel(models: readonly Model[], draft: Draft): Model | undefined {
  const wanted = models.find((item) => item.id === draft.model);
  const needsEdit = (draft.inputImages?.length ?? 0) > 0;
  if (wanted && wanted.available && (!needsEdit || canEdit(wanted))) return wanted;
  return needsEdit ? models.find(canEdit) : undefined;
}

/**
 * Model, prompt, size, n, seed, images: the price before sending, and one task per submission.
 * Mounted again for each new draft (a reused prompt, an image to edit), which it starts from.
 */
export function GenerateForm({ apiKey, models, draft, onDraftUsed, onCreated }: GenerateFormProps) {
  const ids = { model: useId(), prompt: useId(), size: useId(), quality: useId(), n: useId(), seed: useId(), price: useId() };
  const firstAvailable = models.find((model) => model.available) ?? models[0];
  const [modelId, setModelId] = useState(() => (draftModel(models, draft) ?? firstAvailable)?.id ?? '');
  const [prompt, setPrompt] = useState(draft.prompt ?? '');
  // '' is the model's own default, so a newly chosen model starts from its defaults.
  const [size, setSize] = useState('');
  const [quality, setQuality] = useState('');
  const [n, setN] = useState(1);
  const [seed, setSeed] = useState('');
  const [inputs, setInputs] = useState<readonly PickedImage[]>(draft.inputImages ?? []);
  const [references, setReferences] = useState<readonly PickedImage[]>([]);
  const [problem, setProblem] = useState<string>();
  const [pending, setPending] = useState(0);
  const keys = useRef(new SubmissionKeys());
  const inFlight = useRef(new Set<string>());
  const hasDraft = draft.model !== undefined || draft.prompt !== undefined || draft.inputImages !== undefined;
  useEffect(() => {
    if (hasDraft) onDraftUsed();
  }, [hasDraft, onDraftUsed]);

  const model = models.find((item) => item.id === modelId) ?? firstAvailable;
  const sizing = model ? sizeChoice(model) : undefined;
  const chosenSize = sizing && sizing.options.includes(size) ? size : (sizing?.initial ?? '');
  const chosenQuality = quality || model?.defaults.quality || '';
  const count = Math.min(n, model?.capabilities.max_n ?? 1);
  const chooseModel = (id: string) => {
    if (id === model?.id) return;
    setModelId(id);
    setSize('');
    setQuality('');
  };

  if (!model || !sizing) return <p>No models are listed by this darkroom.</p>;
  const body = {
    model: model.id,
    prompt: prompt.trim(),
    n: count,
    [sizing.kind]: chosenSize,
    ...(chosenQuality ? { quality: chosenQuality } : {}),
    ...(seed.trim() !== '' ? { seed: Number(seed) } : {}),
    ...(model.capabilities.edit && inputs.length ? { input_images: inputs.map((image) => image.upload.id) } : {}),
    ...(model.capabilities.reference_images && references.length ? { reference_images: references.map((image) => image.upload.id) } : {}),
  };
  const price = estimatePrice(model, { ...(sizing.kind === 'size' ? { size: chosenSize } : {}), ...(chosenQuality ? { quality: chosenQuality } : {}), n: count });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(undefined);
    if (!body.prompt) {
      setProblem('Write a prompt first.');
      return;
    }
    // The same request again before its answer (a double click) is not sent twice; after a
    // dropped connection it is sent again with the same key, and the API answers with the task
    // the first attempt made instead of making a second one.
    const key = keys.current.keyFor(JSON.stringify(body));
    if (inFlight.current.has(key)) return;
    inFlight.current.add(key);
    setPending((count) => count + 1);
    try {
      const { body: task } = await call<Task>(apiKey, '/v1/generations', { method: 'POST', body, headers: { 'Idempotency-Key': key } });
      keys.current.settled(key);
      onCreated(task);
    } catch (failure) {
      const problem = failure instanceof ApiError ? failure : undefined;
      // Unanswered: the task may exist, so the retry keeps the key.
      if (problem?.code !== 'network_error') keys.current.settled(key);
      const retry = problem?.code === 'network_error' ? ' Sending it again is safe: it cannot make a second task.' : '';
      setProblem(problem ? `${problem.describe()}${retry}` : String(failure));
    } finally {
      inFlight.current.delete(key);
      setPending((count) => count - 1);
    }
  };

  return (
    <form className="generate" onSubmit={(event) => void submit(event)} aria-describedby={ids.price}>
      <h2>Generate</h2>
      <label htmlFor={ids.model}>Model</label>
      <select id={ids.model} value={model.id} onChange={(event) => chooseModel(event.target.value)}>
        {models.map((item) => (
          <option key={item.id} value={item.id} disabled={!item.available}>
            {item.id} — {describePricing(item)}
            {item.available ? '' : ' (not configured)'}
          </option>
        ))}
      </select>
      <p className="hint" data-testid="model-info">
        {model.description} · {describeCapabilities(model)}
      </p>

      <label htmlFor={ids.prompt}>Prompt</label>
      <textarea id={ids.prompt} value={prompt} onChange={(event) => setPrompt(event.target.value)} rows={3} maxLength={4000} required />

      <div className="row">
        <div>
          <label htmlFor={ids.size}>{sizing.kind === 'size' ? 'Size' : 'Aspect ratio'}</label>
          <select id={ids.size} value={chosenSize} onChange={(event) => setSize(event.target.value)}>
            {sizing.options.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        </div>
        {model.capabilities.qualities?.length ? (
          <div>
            <label htmlFor={ids.quality}>Quality</label>
            <select id={ids.quality} value={chosenQuality} onChange={(event) => setQuality(event.target.value)}>
              {model.capabilities.qualities.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div>
          <label htmlFor={ids.n}>Number of images</label>
          <input id={ids.n} type="number" min={1} max={model.capabilities.max_n} value={count} onChange={(event) => setN(Math.max(1, Math.min(model.capabilities.max_n, Number(event.target.value) || 1)))} />
        </div>
        <div>
          <label htmlFor={ids.seed}>Seed</label>
          <input id={ids.seed} type="number" min={0} max={2147483647} placeholder="random" value={seed} onChange={(event) => setSeed(event.target.value)} />
        </div>
      </div>

      {model.capabilities.edit ? (
        <ImageDrop apiKey={apiKey} label="Input images" hint="the images to edit" max={model.capabilities.max_input_images} images={inputs} onChange={setInputs} />
      ) : null}
      {model.capabilities.reference_images ? (
        <ImageDrop apiKey={apiKey} label="Reference images" hint="style or subject" max={model.capabilities.max_input_images} images={references} onChange={setReferences} />
      ) : null}

      <div className="submit-row">
        <p id={ids.price} className="price-preview" aria-live="polite">
          Price: <strong data-testid="price">{price}</strong> credit{price === 1 ? '' : 's'}
        </p>
        <button type="submit" className="primary" aria-busy={pending > 0}>
          {pending > 0 ? 'Sending…' : 'Generate'}
        </button>
      </div>
      {problem ? (
        <p role="alert" className="error">
          {problem}
        </p>
      ) : null}
    </form>
  );
}
