import { failureReason } from './failure-reason';

describe('failureReason', () => {
  it.each([
    ['insufficient_credits', 'Not enough credits for this task. Nothing was charged.'],
    ['content_moderated', 'The image was blocked by content moderation. Your credits were returned.'],
    ['provider_error', 'The image provider reported an error. Your credits were returned.'],
    ['timeout', 'The image provider did not finish in time. Your credits were returned.'],
  ])('says %s in plain words, with the API message as detail', (code, summary) => {
    expect(failureReason({ status: 'failed', error: { code, message: 'from the API' } })).toEqual({ summary, detail: 'from the API' });
  });

  it('still explains a code it does not know', () => {
    expect(failureReason({ status: 'failed', error: { code: 'something_new', message: '' } })).toEqual({
      summary: 'The task failed. Your credits were returned.',
    });
  });

  it('explains a cancel, and says nothing while the task can still succeed', () => {
    expect(failureReason({ status: 'canceled', error: null })?.summary).toBe('Canceled. Your credits were returned.');
    expect(failureReason({ status: 'processing', error: null })).toBeUndefined();
    expect(failureReason({ status: 'completed', error: null })).toBeUndefined();
  });
});
