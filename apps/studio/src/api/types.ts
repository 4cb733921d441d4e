/** The public API's resources as the Studio reads them (snake_case, as on the wire). */

export type TaskStatus = 'created' | 'queued' | 'processing' | 'completed' | 'failed' | 'canceled';

export interface TaskAsset {
  readonly id: string;
  readonly url: string;
  readonly content_type: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly expired: boolean;
}

export interface Task {
  readonly id: string;
  readonly status: TaskStatus;
  readonly model: string;
  readonly prompt: string;
  readonly params: {
    readonly size: string;
    readonly aspect_ratio: string | null;
    readonly quality: string | null;
    readonly n: number;
    readonly seed: number;
    readonly input_images: readonly string[];
    readonly reference_images: readonly string[];
  };
  readonly created_at: string;
  readonly queued_at: string | null;
  readonly processing_at: string | null;
  readonly completed_at: string | null;
  readonly failed_at: string | null;
  readonly canceled_at: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly assets: readonly TaskAsset[];
  readonly credits: { readonly price: number; readonly state: string };
  readonly attempts: number;
}

export interface Model {
  readonly id: string;
  readonly provider: string;
  readonly description: string;
  readonly available: boolean;
  readonly capabilities: {
    readonly text_to_image: boolean;
    readonly edit: boolean;
    readonly reference_images: boolean;
    readonly max_input_images: number;
    readonly max_n: number;
    readonly sizes?: readonly string[];
    readonly aspect_ratios?: readonly string[];
    readonly min_side?: number;
    readonly max_side?: number;
    readonly side_multiple?: number;
    readonly qualities?: readonly string[];
  };
  readonly defaults: { readonly size?: string; readonly aspect_ratio?: string; readonly quality?: string };
  readonly pricing: {
    readonly unit: 'credits';
    /** Credits per image of a request naming no size or quality. */
    readonly per_image: number;
    /** Credits per image for each size × quality the model lists (empty: `per_image` is the one price). */
    readonly prices: readonly { readonly size?: string; readonly quality?: string; readonly per_image: number }[];
  };
}

export interface Upload {
  readonly id: string;
  readonly content_type: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
}

export interface Page<T> {
  readonly data: readonly T[];
  readonly has_more: boolean;
  readonly next_cursor: string | null;
}

export interface CreditEntry {
  readonly id: string;
  readonly type: string;
  readonly amount: number;
  readonly task_id: string | null;
  readonly reason: string | null;
  readonly created_at: string;
}

export interface CreditBalance {
  readonly available: number;
  readonly reserved: number;
  readonly captured: number;
  readonly granted: number;
  readonly entries: Page<CreditEntry>;
}

export interface TimelineEntry {
  readonly id: string;
  readonly type: string;
  readonly stream: string;
  readonly stream_version: number;
  readonly position: string;
  readonly recorded_at: string;
  readonly data: unknown;
}

export interface RebuildJob {
  readonly id: string;
  readonly projection: string;
  readonly kind: string;
  readonly state: string;
  readonly events_done: number;
  readonly events_total: number | null;
  readonly rate_per_second: number | null;
  readonly eta_seconds: number | null;
  readonly error: string | null;
  readonly finished_at: string | null;
}

export interface Projection {
  readonly name: string;
  readonly tables: readonly string[];
  readonly host: string;
  readonly lag: { readonly events_behind: number; readonly last_batch_at: string | null };
  readonly rebuild: RebuildJob | null;
}

export interface DeadLetter {
  readonly id: string;
  readonly consumer: string;
  readonly attempts: number;
  readonly error: string | null;
  readonly last_failed_at: string | null;
  readonly message: { readonly event_id: string; readonly type: string; readonly stream_id: string };
}
