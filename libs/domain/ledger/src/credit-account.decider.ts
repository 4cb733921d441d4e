import type { CreditAccountEvent } from '@darkroom/contracts';
import type { Decider } from '@darkroom/kernel';
import type { CreditAccountCommand } from './credit-account.commands';
import { decideCreditAccount } from './credit-account.decide';
import { evolveCreditAccount, initialCreditAccountState, type CreditAccountState } from './credit-account.state';

/** One account's credits, stream `credit-account-{accountId}` (DESIGN.md §4). */
export const creditAccountDecider: Decider<CreditAccountCommand, CreditAccountEvent, CreditAccountState> = {
  initialState: initialCreditAccountState,
  evolve: evolveCreditAccount,
  decide: decideCreditAccount,
};
