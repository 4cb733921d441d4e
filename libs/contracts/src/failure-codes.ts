/** Stable reasons a generation fails; part of the public API. */
export const FailureCode = {
  insufficientCredits: 'insufficient_credits',
  spendCapReached: 'spend_cap_reached',
  providerError: 'provider_error',
  providerRejected: 'provider_rejected',
  contentModerated: 'content_moderated',
  timeout: 'timeout',
  storageError: 'storage_error',
  invalidInput: 'invalid_input',
} as const;
export type FailureCode = (typeof FailureCode)[keyof typeof FailureCode];
