import type { CreditAccountEvent } from '@darkroom/contracts';
import type { SubjectDecider } from '@darkroom/kernel';
import type { CreditAccountCommand } from './credit-account.commands';
import { decideCreditAccount } from './credit-account.decide';
import {
  evolveCreditSubject,
  evolveCreditTotals,
  batchSubject,
  capSubject,
  grantSubject,
  initialCreditSubject,
  initialCreditTotals,
  reservationSubject,
  subjectOfCreditEvent,
  type CreditSubject,
  type CreditTotals,
} from './credit-account.state';

function subjectOfCreditCommand(command: CreditAccountCommand): string {
  switch (command.type) {
    case 'GrantCredits':
      return grantSubject(command.grantId);
    case 'SetSpendCap':
      return capSubject(command.scope, command.period, command.id);
    case 'ReserveBatch':
      return batchSubject(command.batchId);
    default:
      return reservationSubject(command.reservationId);
  }
}

/**
 * One account's credits, stream `credit-account-{accountId}` (DESIGN.md §4): a stream that
 * grows with every task forever, so its state is the totals (snapshotted) and the history of
 * the one grant, reservation or cap a command names (decisions 0020, 0028).
 */
export const creditAccountDecider: SubjectDecider<CreditAccountCommand, CreditAccountEvent, CreditTotals, CreditSubject> = {
  snapshotName: 'credit-account/totals-v2',
  initialSummary: initialCreditTotals,
  evolveSummary: evolveCreditTotals,
  initialSubject: initialCreditSubject,
  evolveSubject: evolveCreditSubject,
  subjectOf: subjectOfCreditCommand,
  subjectOfEvent: subjectOfCreditEvent,
  decide: decideCreditAccount,
};
