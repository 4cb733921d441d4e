/**
 * Where a provider's inline bytes wait for storage to validate and promote them; image
 * bytes never travel inside events (DESIGN §5.6).
 */
export const stagingKey = (taskId: string, attempt: number, index: number): string =>
  `staging/${taskId}/${attempt}/${index}`;
