import type { CreditAccountEvent } from '@darkroom/contracts';
import type { SubjectDecider } from '@darkroom/kernel';
import type { CreditAccountCommand } from './credit-account.commands';
import { decideCreditAccount } from './credit-account.decide';
import {
  evolveCreditSubject,
  evolveCreditTotals,
  grantSubject,
  initialCreditSubject,
  initialCreditTotals,
  reservationSubject,
  subjectOfCreditEvent,
  type CreditSubject,
  type CreditTotals,
} from './credit-account.state';

/**
 * One account's credits, stream `credit-account-{accountId}` (DESIGN.md §4): a stream that
 * grows with every task forever, so its state is the totals (snapshotted) and the history of
 * the one grant or reservation a command names (decision 0020).
 */
export const creditAccountDecider: SubjectDecider<CreditAccountCommand, CreditAccountEvent, CreditTotals, CreditSubject> = {
  snapshotName: 'credit-account/totals-v1',
  initialSummary: initialCreditTotals,
  evolveSummary: evolveCreditTotals,
  initialSubject: initialCreditSubject,
  evolveSubject: evolveCreditSubject,
  subjectOf: (command) => (command.type === 'GrantCredits' ? grantSubject(command.grantId) : reservationSubject(command.reservationId)),
  subjectOfEvent: subjectOfCreditEvent,
  decide: decideCreditAccount,
};
