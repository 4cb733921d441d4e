import type { ImageProvider, JobObservation, ProviderSubmitRequest, SubmitOutcome, WebhookDelivery } from './image-provider';

/**
 * A provider whose `submit` answers with the images (OpenAI Images, Gemini generateContent,
 * the local renderer): there is never a job to poll or cancel, and nothing calls back.
 */
export abstract class SyncImageProvider implements ImageProvider {
  abstract readonly name: string;
  readonly mode = 'sync' as const;

  abstract submit(request: ProviderSubmitRequest): Promise<SubmitOutcome>;

  poll(): Promise<JobObservation> {
    return Promise.reject(new Error(`${this.name} is synchronous and has no jobs to poll`));
  }

  async cancel(): Promise<void> {
    // Nothing outlives `submit`.
  }

  async verifyWebhook(): Promise<boolean> {
    return false;
  }

  parseWebhook(): WebhookDelivery {
    throw new Error(`${this.name} sends no webhooks`);
  }
}
