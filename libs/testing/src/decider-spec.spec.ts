import { describe, expect, it } from '@jest/globals';
import { DomainError, type Decider } from '@darkroom/kernel';
import { deciderSpec } from './decider-spec';

type Add = { readonly type: 'Add'; readonly by: number };
type Added = { readonly type: 'Added'; readonly by: number };

/** Adds up to 10; refuses negatives; crashes above 99. */
const counter: Decider<Add, Added, number> = {
  initialState: () => 0,
  evolve: (total, event) => total + event.by,
  decide: (command, total) => {
    if (command.by < 0) throw new DomainError('negative', 'validation', 'no');
    if (command.by > 99) throw new Error('boom');
    return total + command.by > 10 ? [] : [{ type: 'Added', by: command.by }];
  },
};

describe('deciderSpec', () => {
  const spec = deciderSpec(counter);

  it('folds the given events before deciding', () => {
    spec.given([{ type: 'Added', by: 2 }]).when({ type: 'Add', by: 3 }).then([{ type: 'Added', by: 3 }]);
    expect(() => spec.given([{ type: 'Added', by: 9 }]).when({ type: 'Add', by: 3 }).then([{ type: 'Added', by: 3 }])).toThrow();
  });

  it('fails when the events differ', () => {
    expect(() => spec.given([]).when({ type: 'Add', by: 1 }).then([{ type: 'Added', by: 2 }])).toThrow();
    expect(() => spec.given([]).when({ type: 'Add', by: 1 }).then([])).toThrow();
  });

  it('passes when the command is refused with the expected code and category', () => {
    spec.given([]).when({ type: 'Add', by: -1 }).thenThrows('negative', 'validation');
  });

  it('fails when the command is refused with another code or category', () => {
    expect(() => spec.given([]).when({ type: 'Add', by: -1 }).thenThrows('other')).toThrow();
    expect(() => spec.given([]).when({ type: 'Add', by: -1 }).thenThrows('negative', 'conflict')).toThrow();
  });

  it('fails when the command is not refused', () => {
    expect(() => spec.given([]).when({ type: 'Add', by: 1 }).thenThrows('negative')).toThrow(/Expected DomainError "negative", but the command decided \[{"type":"Added","by":1}\]/);
  });

  it('fails when the command throws something other than a DomainError', () => {
    expect(() => spec.given([]).when({ type: 'Add', by: 100 }).thenThrows('negative')).toThrow();
  });
});
