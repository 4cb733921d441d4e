/** Lifecycle words Replicate uses, `aborted` included (the Stainless SDK's list omits it). */
export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';

export const terminal: ReadonlySet<PredictionStatus> = new Set(['succeeded', 'failed', 'canceled', 'aborted']);

/** The fake's state for one prediction. */
export interface FakePrediction {
  readonly id: string;
  readonly model: string;
  readonly version: string;
  readonly deployment?: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly webhook?: string;
  readonly webhookEventsFilter?: readonly string[];
  readonly directives: ReadonlyMap<string, string>;
  readonly createdAt: Date;
  status: PredictionStatus;
  output: string | string[] | null;
  error: string | null;
  logs: string;
  startedAt?: Date;
  completedAt?: Date;
  dataRemoved: boolean;
  /** The PNGs behind `output`, served under /files/{id}/{index}.png until removed. */
  images: Buffer[];
}

/** The prediction object as `GET /v1/predictions/{id}` and webhooks show it. */
export function predictionView(prediction: FakePrediction, apiUrl: string): Record<string, unknown> {
  const { id, startedAt, completedAt, createdAt } = prediction;
  const get = `${apiUrl}/predictions/${id}`;
  return {
    id,
    model: prediction.model,
    version: prediction.version,
    ...(prediction.deployment ? { deployment: prediction.deployment } : {}),
    input: prediction.dataRemoved ? {} : prediction.input,
    logs: prediction.dataRemoved ? '' : prediction.logs,
    output: prediction.output,
    data_removed: prediction.dataRemoved,
    error: prediction.error,
    status: prediction.status,
    source: 'api',
    created_at: createdAt.toISOString(),
    started_at: startedAt?.toISOString() ?? null,
    completed_at: completedAt?.toISOString() ?? null,
    metrics:
      completedAt && startedAt
        ? { predict_time: (completedAt.getTime() - startedAt.getTime()) / 1000, total_time: (completedAt.getTime() - createdAt.getTime()) / 1000 }
        : {},
    ...(prediction.webhook ? { webhook: prediction.webhook, webhook_events_filter: prediction.webhookEventsFilter ?? null } : {}),
    urls: { get, cancel: `${get}/cancel`, web: `https://replicate.com/p/${id}` },
  };
}
