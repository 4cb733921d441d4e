/** Ids in paths are UUIDs; anything else is simply not found (never a database error). */
export { isUuid } from '@darkroom/kernel';
