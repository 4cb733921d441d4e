import type { FailureCode, GenerationRequest, GenerationStatus } from '@darkroom/contracts';

/** Where the task's credits stand, as the ledger last reported. */
export type CreditsState = 'pending' | 'reserved' | 'rejected' | 'captured' | 'released';

/** A stored output of the task, as recorded when storage promoted it. */
export interface TaskAsset {
  readonly id: string;
  readonly index: number;
  readonly contentType: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly sha256: string;
  /** Set when retention removed the object. */
  readonly deletedAt: string | null;
}

/** One row of the `generations` read model: the task as the API shows it. */
export interface GenerationRow {
  readonly id: string;
  readonly accountId: string;
  readonly status: GenerationStatus;
  readonly request: GenerationRequest;
  readonly price: number;
  readonly creditsState: CreditsState;
  readonly idempotencyKey: string | null;
  readonly deadline: string;
  readonly createdAt: string;
  readonly queuedAt: string | null;
  readonly processingAt: string | null;
  readonly completedAt: string | null;
  readonly failedAt: string | null;
  readonly canceledAt: string | null;
  readonly error: { readonly code: FailureCode; readonly message: string; readonly providerDetail?: unknown } | null;
  /** In output order; filled from the asset events, which precede completion in the log. */
  readonly assets: readonly TaskAsset[];
  readonly attempts: number;
  readonly metadata: Readonly<Record<string, string>>;
}
