/** What a moderation check decided; `reason` is shown to the caller with the failed task. */
export type ModerationVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/**
 * darkroom's own content checks, whatever each provider does on its side: the prompt (and
 * negative prompt) before any provider sees it, and every result image before it is kept.
 * A block fails the task with `content_moderated`. `RuleBasedModeration` is the default;
 * a provider-backed classifier (a moderation API, an image-safety model) implements this
 * same port and is wired in `providerSetup` instead.
 */
export interface Moderation {
  checkPrompt(text: string): Promise<ModerationVerdict>;
  /** `contentType` is the sniffed type of `bytes`. */
  checkImage(bytes: Buffer, contentType: string): Promise<ModerationVerdict>;
}

/** Injection token of the `Moderation` port. */
export const MODERATION = Symbol('Moderation');

export const ALLOWED: ModerationVerdict = { allowed: true };
