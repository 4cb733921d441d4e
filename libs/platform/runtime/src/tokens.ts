/** Injection tokens of the platform ports, so services depend on ports, not adapters. */
export const SQL = Symbol('Sql');
export const EVENT_STORE = Symbol('EventStore');
export const MESSAGE_BUS = Symbol('MessageBus');
export const OBJECT_STORAGE = Symbol('ObjectStorage');
export const CLOCK = Symbol('Clock');
export const PLATFORM = Symbol('Platform');
export const COMMIT_SIGNAL = Symbol('CommitSignal');
