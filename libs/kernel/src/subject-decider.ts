/**
 * A decider for a stream that never ends: a credit account gains events with every task,
 * forever. Folding such a stream on every command costs more with every task, so its state
 * comes in two parts, each bounded whatever the history:
 * - the `summary` of the whole stream (totals), which the store keeps in a snapshot taken in
 *   the same transaction as each append;
 * - the `subject` a command is about (one reservation, one grant), folded from that subject's
 *   own events, which the store finds through an index.
 * "Was this id seen?" is then answered by the log itself, not by state holding every id.
 */
export interface SubjectDecider<Command, Event, Summary, Subject> {
  /** Names the summary's shape: a snapshot stored under another name is ignored and rebuilt from the log. */
  readonly snapshotName: string;
  readonly initialSummary: () => Summary;
  readonly evolveSummary: (summary: Summary, event: Event) => Summary;
  readonly initialSubject: () => Subject;
  readonly evolveSubject: (subject: Subject, event: Event) => Subject;
  /** The subject a command is about. */
  readonly subjectOf: (command: Command) => string;
  /** The subject an event is about; stored beside the event and indexed. */
  readonly subjectOfEvent: (event: Event) => string;
  /** Returns the events a command produces; an empty list means "nothing to do". */
  readonly decide: (command: Command, state: SubjectState<Summary, Subject>) => readonly Event[];
}

export interface SubjectState<Summary, Subject> {
  readonly summary: Summary;
  readonly subject: Subject;
}

/**
 * What a command about `subject` sees after `events`: the pure equivalent of what the store
 * assembles from its snapshot and its index (decider specs and models use it).
 */
export function foldSubject<Event, Summary, Subject>(
  decider: Pick<
    SubjectDecider<unknown, Event, Summary, Subject>,
    'initialSummary' | 'evolveSummary' | 'initialSubject' | 'evolveSubject' | 'subjectOfEvent'
  >,
  events: readonly Event[],
  subject: string,
): SubjectState<Summary, Subject> {
  return {
    summary: events.reduce(decider.evolveSummary, decider.initialSummary()),
    subject: events.filter((event) => decider.subjectOfEvent(event) === subject).reduce(decider.evolveSubject, decider.initialSubject()),
  };
}
