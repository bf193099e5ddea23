// The wizard's steps, in order. The last two arrive in later releases.

/** A step's identifier. */
export type StepId = 'token' | 'scopes' | 'webhooks' | 'mapping';

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
  { id: 'webhooks', title: 'Webhooks', hint: 'Coming soon', coming: true },
  { id: 'mapping', title: 'User mapping', hint: 'Coming soon', coming: true },
];
