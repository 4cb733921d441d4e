import { createHash } from 'node:crypto';
import type { Moderation } from './moderation';
import { commaList, RuleBasedModeration } from './rule-based-moderation';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('RuleBasedModeration', () => {
  describe('prompts', () => {
    const moderation = new RuleBasedModeration({ blocklist: ['forbidden', 'red  panda', 'c++', 'Éclair'], blockedImageSha256: [] });

    it('allows a prompt with no blocked term', async () => {
      expect(await moderation.checkPrompt('a lighthouse at dusk')).toEqual({ allowed: true });
    });

    it('blocks a listed word whatever its case, naming the term', async () => {
      expect(await moderation.checkPrompt('Something FORBIDDEN here')).toEqual({
        allowed: false,
        reason: 'the prompt contains the blocked term "forbidden"',
      });
    });

    it('matches whole words only', async () => {
      expect(await moderation.checkPrompt('unforbiddenly')).toEqual({ allowed: true });
      expect(await moderation.checkPrompt('forbidden_zone')).toEqual({ allowed: true });
      expect(await moderation.checkPrompt('(forbidden).')).toMatchObject({ allowed: false });
    });

    it('matches a phrase across any whitespace, but not its words apart', async () => {
      expect(await moderation.checkPrompt('a Red\n\tPanda sleeping')).toMatchObject({ allowed: false });
      expect(await moderation.checkPrompt('a red and a panda')).toEqual({ allowed: true });
    });

    it('treats regex characters in a term literally', async () => {
      expect(await moderation.checkPrompt('write c++ code')).toMatchObject({ allowed: false });
      expect(await moderation.checkPrompt('write c code')).toEqual({ allowed: true });
    });

    it('compares Unicode case-insensitively and after NFKC normalisation', async () => {
      expect(await moderation.checkPrompt('an éclair on a plate')).toMatchObject({ allowed: false });
      // Full-width letters fold to ASCII under NFKC.
      expect(await moderation.checkPrompt('ｆｏｒｂｉｄｄｅｎ')).toMatchObject({ allowed: false });
      // Letters of another script are part of the word.
      expect(await moderation.checkPrompt('forbiddenд')).toEqual({ allowed: true });
    });

    it('allows everything with an empty blocklist', async () => {
      const open = new RuleBasedModeration({ blocklist: [' ', ''], blockedImageSha256: [] });
      expect(await open.checkPrompt('forbidden')).toEqual({ allowed: true });
    });
  });

  describe('images', () => {
    const bad = Buffer.from('bad image bytes');
    const moderation: Moderation = new RuleBasedModeration({ blocklist: [], blockedImageSha256: [sha256(bad).toUpperCase()] });

    it('blocks an image whose sha256 is listed (digests compared in lower case)', async () => {
      expect(await moderation.checkImage(bad, 'image/png')).toEqual({
        allowed: false,
        reason: `the image matches a blocked image (sha256 ${sha256(bad)})`,
      });
    });

    it('allows any other image', async () => {
      expect(await moderation.checkImage(Buffer.from('good image bytes'), 'image/png')).toEqual({ allowed: true });
    });
  });
});

describe('commaList', () => {
  it('splits, trims and drops blanks', () => {
    expect(commaList(' a, b c ,,d ')).toEqual(['a', 'b c', 'd']);
    expect(commaList(undefined)).toEqual([]);
  });
});
