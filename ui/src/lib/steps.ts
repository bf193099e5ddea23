// The wizard's steps, in order.
import type { Step as StepName } from './types';

/** A step's identifier (the Rust `resume::Step`, which the kept state names). */
export type StepId = StepName;

/** A step as the step list shows it. */
export interface Step {
  id: StepId;
  title: string;
  hint: string;
  coming?: boolean;
}

export const STEPS: Step[] = [
  { id: 'token', title: 'Token', hint: 'Connect to GitLab' },
  { id: 'scopes', title: 'Scopes', hint: 'What the token can reach' },
  { id: 'webhooks', title: 'Webhooks', hint: 'Create and check the hooks' },
  { id: 'mapping', title: 'User mapping', hint: 'User IDs to company emails' },
  { id: 'summary', title: 'Summary', hint: 'What was done, what is left' },
];
