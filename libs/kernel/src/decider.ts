/**
 * A decider is the whole behaviour of one aggregate as three pure functions
 * (after Jérémie Chassaing's "functional event sourcing decider").
 */
export interface Decider<Command, Event, State> {
  readonly initialState: () => State;
  readonly evolve: (state: State, event: Event) => State;
  /** Returns the events a command produces; an empty list means "nothing to do". */
  readonly decide: (command: Command, state: State) => readonly Event[];
}

/** A command union without its `now`: what a handler builds before stamping the time. */
export type Untimed<Command> = Command extends unknown ? Omit<Command, 'now'> : never;

export function fold<Event, State>(
  decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
  events: readonly Event[],
): State {
  return events.reduce(decider.evolve, decider.initialState());
}
