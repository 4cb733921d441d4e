import { createHash } from 'node:crypto';
import { ALLOWED, type Moderation, type ModerationVerdict } from './moderation';

export interface RuleBasedModerationOptions {
  /** Words or phrases refused in prompts: case-insensitive, whole words only. */
  readonly blocklist: readonly string[];
  /** Hex SHA-256 digests of images refused as results. */
  readonly blockedImageSha256: readonly string[];
}

/** Letters, digits and underscore of any script: what a word is made of. */
const WORD = String.raw`[\p{L}\p{N}\p{M}_]`;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const normalize = (text: string) => text.normalize('NFKC');

/** One blocklist entry as a pattern: its words in order, any whitespace between, not inside a longer word. */
function termPattern(term: string): RegExp {
  const words = normalize(term).trim().split(/\s+/).map(escape);
  return new RegExp(`(?<!${WORD})${words.join(String.raw`\s+`)}(?!${WORD})`, 'iu');
}

/**
 * The default `Moderation`: a configured blocklist of words and phrases for prompts
 * (MODERATION_BLOCKLIST) and a list of known-bad image digests for results
 * (MODERATION_BLOCKED_IMAGE_SHA256). With both empty it allows everything. It is the seam a
 * provider-backed classifier replaces; it does not try to be one.
 */
export class RuleBasedModeration implements Moderation {
  private readonly terms: readonly { readonly term: string; readonly pattern: RegExp }[];
  private readonly blockedImages: ReadonlySet<string>;

  constructor(options: RuleBasedModerationOptions) {
    this.terms = options.blocklist
      .map((term) => term.trim())
      .filter(Boolean)
      .map((term) => ({ term, pattern: termPattern(term) }));
    this.blockedImages = new Set(options.blockedImageSha256.map((digest) => digest.trim().toLowerCase()).filter(Boolean));
  }

  async checkPrompt(text: string): Promise<ModerationVerdict> {
    const normalized = normalize(text);
    const hit = this.terms.find(({ pattern }) => pattern.test(normalized));
    return hit ? { allowed: false, reason: `the prompt contains the blocked term "${hit.term}"` } : ALLOWED;
  }

  async checkImage(bytes: Buffer): Promise<ModerationVerdict> {
    if (this.blockedImages.size === 0) return ALLOWED;
    const digest = createHash('sha256').update(bytes).digest('hex');
    return this.blockedImages.has(digest) ? { allowed: false, reason: `the image matches a blocked image (sha256 ${digest})` } : ALLOWED;
  }
}

/** A comma-separated setting as a list, blanks dropped. */
export const commaList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
