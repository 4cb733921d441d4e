import { SubmissionKeys } from './idempotency';

describe('SubmissionKeys', () => {
  const counter = () => {
    let next = 0;
    return new SubmissionKeys(() => `key-${++next}`);
  };

  it('gives a repeat of the same request, before its answer, the same key (a double click)', () => {
    const keys = counter();
    expect(keys.keyFor('{"prompt":"a"}')).toBe('key-1');
    expect(keys.keyFor('{"prompt":"a"}')).toBe('key-1');
  });

  it('takes a new key once the answer arrived: the next click is a new task', () => {
    const keys = counter();
    const first = keys.keyFor('{"prompt":"a"}');
    keys.settled(first);
    expect(keys.keyFor('{"prompt":"a"}')).toBe('key-2');
  });

  it('takes a new key for a changed request, and ignores a late answer of an older one', () => {
    const keys = counter();
    const first = keys.keyFor('{"prompt":"a"}');
    expect(keys.keyFor('{"prompt":"b"}')).toBe('key-2');
    keys.settled(first);
    expect(keys.keyFor('{"prompt":"b"}')).toBe('key-2');
  });
});
