import { useId, useState, type DragEvent } from 'react';
import { ApiError, call } from '../api/client';
import type { Upload } from '../api/types';

export interface PickedImage {
  readonly upload: Upload;
  readonly previewUrl: string;
}

interface ImageDropProps {
  readonly apiKey: string;
  readonly label: string;
  readonly hint: string;
  readonly max: number;
  readonly images: readonly PickedImage[];
  onChange(images: readonly PickedImage[]): void;
}

/** Images dropped or picked here go to `POST /v1/uploads` at once; the form sends their ids. */
export function ImageDrop({ apiKey, label, hint, max, images, onChange }: ImageDropProps) {
  const id = useId();
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(0);
  const [problem, setProblem] = useState<string>();

  const add = async (files: readonly File[]) => {
    setProblem(undefined);
    const room = Math.max(0, max - images.length);
    if (files.length > room) setProblem(`This model takes at most ${max} image(s); ${files.length - room} not added.`);
    const picked: PickedImage[] = [];
    setBusy((count) => count + 1);
    try {
      for (const file of files.slice(0, room)) {
        const form = new FormData();
        form.append('file', file, file.name);
        const { body } = await call<Upload>(apiKey, '/v1/uploads', { method: 'POST', body: form });
        picked.push({ upload: body, previewUrl: URL.createObjectURL(file) });
      }
    } catch (failure) {
      setProblem(failure instanceof ApiError ? failure.describe() : String(failure));
    } finally {
      setBusy((count) => count - 1);
      if (picked.length) onChange([...images, ...picked]);
    }
  };

  const drop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setOver(false);
    void add([...event.dataTransfer.files]);
  };

  return (
    <fieldset className="image-drop">
      <legend>{label}</legend>
      {/* A drop target for the mouse; the file input inside is the keyboard's way in. */}
      {/* eslint-disable-next-line jsx-a11y/no-static-element-interactions */}
      <div
        className={`drop-zone${over ? ' over' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
      >
        <label htmlFor={id}>
          Drop images here or choose files <span className="hint">({hint})</span>
        </label>
        <input
          id={id}
          type="file"
          accept="image/png,image/jpeg,image/webp"
          multiple
          onChange={(event) => {
            void add([...(event.target.files ?? [])]);
            event.target.value = '';
          }}
        />
        {busy > 0 ? <p aria-live="polite">Uploading…</p> : null}
      </div>
      {images.length > 0 ? (
        <ul className="picked">
          {images.map((image, index) => (
            <li key={image.upload.id}>
              <img src={image.previewUrl} alt={`${label} ${index + 1}`} />
              <button type="button" className="ghost" onClick={() => onChange(images.filter((item) => item !== image))}>
                Remove {label.toLowerCase()} {index + 1}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {problem ? <p role="alert" className="error">{problem}</p> : null}
    </fieldset>
  );
}
