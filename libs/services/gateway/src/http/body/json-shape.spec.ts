import { describe, expect, it } from '@jest/globals';
import { exceededJsonLimit } from './json-shape';

const limits = { maxDepth: 3, maxKeys: 4 };
const scan = (text: string) => exceededJsonLimit(Buffer.from(text, 'utf8'), limits);

describe('exceededJsonLimit', () => {
  it('accepts a document within both limits', () => {
    expect(scan('{"a":{"b":[1,2,"c"]},"e":null}')).toBeUndefined();
  });

  it('refuses nesting one level past the limit, objects and arrays alike', () => {
    expect(scan('[[[1]]]')).toBeUndefined();
    expect(scan('[[[[1]]]]')).toBe('depth');
    expect(scan('{"a":{"b":{"c":{}}}}')).toBe('depth');
  });

  it('counts depth, not the number of containers side by side', () => {
    expect(scan(`[${'[[1]],'.repeat(1000)}[]]`)).toBeUndefined();
  });

  it('refuses a 10,000-deep body without overflowing the stack', () => {
    expect(exceededJsonLimit(Buffer.from('['.repeat(10_000) + ']'.repeat(10_000)), { maxDepth: 32, maxKeys: 1000 })).toBe('depth');
  });

  it('counts the members of every object in the document', () => {
    expect(scan('{"a":1,"b":2,"c":{"d":3}}')).toBeUndefined();
    expect(scan('{"a":1,"b":2,"c":{"d":3,"e":4}}')).toBe('keys');
  });

  it('ignores brackets, colons and escaped quotes inside strings', () => {
    expect(scan('{"a":"[[[[{{{{::::","b":"\\"[[[[[\\\\","c":"x"}')).toBeUndefined();
  });

  it('reads multi-byte characters without decoding them', () => {
    expect(scan('{"ключ":"значение 🌒","b":["ü"]}')).toBeUndefined();
  });
});
