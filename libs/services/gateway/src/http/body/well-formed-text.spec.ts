import { describe, expect, it } from '@jest/globals';
import { illFormedFields, isWellFormedText } from './well-formed-text';

describe('isWellFormedText', () => {
  it('accepts text with paired surrogates (emoji) and other control characters', () => {
    expect(isWellFormedText('a lighthouse 🌒 at dusk\t\n')).toBe(true);
    expect(isWellFormedText('')).toBe(true);
  });

  it('refuses a NUL anywhere', () => {
    expect(isWellFormedText('a\u0000b')).toBe(false);
    expect(isWellFormedText('\u0000')).toBe(false);
  });

  it('refuses a high surrogate without its low half, and a low one without its high half', () => {
    expect(isWellFormedText('\ud800')).toBe(false);
    expect(isWellFormedText('x\ud83cy')).toBe(false);
    expect(isWellFormedText('\udc00')).toBe(false);
    expect(isWellFormedText('\ud83c\udf12\udf12')).toBe(false);
  });
});

describe('illFormedFields', () => {
  it('finds nothing in well-formed values', () => {
    expect(illFormedFields({ prompt: 'ok', n: 1, tags: ['a', 'b'], metadata: { k: 'v' }, none: null })).toEqual([]);
  });

  it('names each ill-formed field by its path', () => {
    const fields = illFormedFields({ prompt: 'a\u0000b', metadata: { note: '\ud800' }, images: ['ok', 'x\udc00'] });
    expect(fields.map((error) => error.field)).toEqual(['prompt', 'metadata.note', 'images.1']);
    expect(fields[0].message).toBe('prompt must not contain NUL characters or unpaired surrogates');
  });

  it('checks property names too, naming the object that holds them', () => {
    expect(illFormedFields({ metadata: { 'a\u0000': 'v' } })).toEqual([
      { field: 'metadata', message: 'property names must not contain NUL characters or unpaired surrogates' },
    ]);
  });

  it('names a lone string by its root (a path or query parameter)', () => {
    expect(illFormedFields('id\u0000', 'id')).toEqual([{ field: 'id', message: 'id must not contain NUL characters or unpaired surrogates' }]);
  });

  it('walks objects without a prototype (parsed query strings)', () => {
    const query = Object.assign(Object.create(null) as Record<string, unknown>, { cursor: '\u0000' });
    expect(illFormedFields(query).map((error) => error.field)).toEqual(['cursor']);
  });

  it('leaves class instances and buffers alone', () => {
    expect(illFormedFields({ file: Buffer.from([0]), at: new Date(0) })).toEqual([]);
  });

  it('stops at twenty errors', () => {
    expect(illFormedFields(Array.from({ length: 100 }, () => '\u0000'))).toHaveLength(20);
  });

  it('walks a deep value without recursion', () => {
    let deep: unknown = '\u0000';
    for (let i = 0; i < 20_000; i += 1) deep = [deep];
    expect(illFormedFields(deep)).toHaveLength(1);
  });
});
