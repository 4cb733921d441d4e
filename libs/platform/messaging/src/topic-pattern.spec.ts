import { topicMatches } from './topic-pattern';

describe('topicMatches', () => {
  it.each([
    ['generation.GenerationQueued', 'generation.GenerationQueued', true],
    ['generation.GenerationQueued', 'generation.GenerationCreated', false],
    ['generation.*', 'generation.GenerationQueued', true],
    ['*.GenerationQueued', 'generation.GenerationQueued', true],
    ['*', 'generation.GenerationQueued', false],
    ['generation.*', 'generation', false],
    ['generation.*', 'generation.a.b', false],
    ['#', 'generation.GenerationQueued', true],
    ['#', '', true],
    ['generation.#', 'generation', true],
    ['generation.#', 'generation.a.b', true],
    ['generation.#', 'credit-account.CreditsReserved', false],
    ['#.CreditsReserved', 'credit-account.CreditsReserved', true],
    ['a.#.z', 'a.z', true],
    ['a.#.z', 'a.b.c.z', true],
    ['a.#.z', 'a.b.c', false],
    ['a.*.#', 'a', false],
    ['a.*.#', 'a.b', true],
  ])('pattern %s against %s is %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});
