import type { expect as jestExpect } from '@jest/globals';
import { DomainError, fold, foldSubject, type Decider, type ErrorCategory, type SubjectDecider } from '@darkroom/kernel';

// `@jest/globals` throws when imported outside a jest run, and this lib is also loaded by
// scripts; so only its types are imported and the runtime `expect` is jest's global.
declare const expect: typeof jestExpect;

export interface DeciderThen<Event> {
  /** Asserts the command decides exactly these events (deep equality, in order). */
  then(expected: readonly Event[]): void;
  /** Asserts the command is refused with a `DomainError` of this code (and category, if given). */
  thenThrows(code: string, category?: ErrorCategory): void;
}

export interface DeciderWhen<Command, Event> {
  when(command: Command): DeciderThen<Event>;
}

export interface DeciderGiven<Command, Event> {
  /** The events already in the stream, folded into state with the decider's own `evolve`. */
  given(events: readonly Event[]): DeciderWhen<Command, Event>;
}

/** `deciderSpec(decider).given(events).when(command).then(events)`: a decider test with no setup. */
export function deciderSpec<Command, Event, State>(
  decider: Decider<Command, Event, State>,
): DeciderGiven<Command, Event> {
  return specOf((events, command) => decider.decide(command, fold(decider, events)));
}

/**
 * The same for a decider of a never-ending stream: the command sees the summary of every
 * given event and the history of its own subject, as the store would assemble them.
 */
export function subjectDeciderSpec<Command, Event, Summary, Subject>(
  decider: SubjectDecider<Command, Event, Summary, Subject>,
): DeciderGiven<Command, Event> {
  return specOf((events, command) => decider.decide(command, foldSubject(decider, events, decider.subjectOf(command))));
}

function specOf<Command, Event>(
  decideAfter: (events: readonly Event[], command: Command) => readonly Event[],
): DeciderGiven<Command, Event> {
  return {
    given: (events) => ({
      when: (command) => {
        const decide = (): readonly Event[] => decideAfter(events, command);
        return {
          then: (expected) => {
            expect(decide()).toEqual(expected);
          },
          thenThrows: (code, category) => {
            let decided: readonly Event[];
            try {
              decided = decide();
            } catch (error) {
              expect(error).toBeInstanceOf(DomainError);
              const { code: actualCode, category: actualCategory } = error as DomainError;
              expect({ code: actualCode, category: actualCategory }).toEqual({
                code,
                category: category ?? actualCategory,
              });
              return;
            }
            throw new Error(`Expected DomainError "${code}", but the command decided ${JSON.stringify(decided)}`);
          },
        };
      },
    }),
  };
}
