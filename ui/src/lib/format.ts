// Words for what the report says; kept apart from the screens so they can be tested alone.
import type { Expiry, HookAccess, Mode, Role } from './types';

const ROLE_LABELS: Record<Role, string> = {
  minimal_access: 'Minimal access',
  guest: 'Guest',
  planner: 'Planner',
  reporter: 'Reporter',
  security_manager: 'Security Manager',
  developer: 'Developer',
  maintainer: 'Maintainer',
  owner: 'Owner',
};

/** Highest role first, `none` last: the order of the role summary. */
const ROLE_ORDER: string[] = [
  'owner',
  'maintainer',
  'developer',
  'security_manager',
  'reporter',
  'planner',
  'guest',
  'minimal_access',
  'none',
];

/** GitLab's name for a role; "No role" when GitLab reports none (e.g. admin access). */
export function roleLabel(role: string | null): string {
  if (role === null || role === 'none') return 'No role';
  return ROLE_LABELS[role as Role] ?? role;
}

/** `by_role` entries, highest role first. */
export function rolesInOrder(byRole: Record<string, number>): [string, number][] {
  const rank = (r: string) => {
    const i = ROLE_ORDER.indexOf(r);
    return i === -1 ? ROLE_ORDER.length : i;
  };
  return Object.entries(byRole).sort(([a], [b]) => rank(a) - rank(b));
}

/** A one-line title and explanation for each mode. */
export function modeText(mode: Mode): { title: string; detail: string } {
  switch (mode) {
    case 'automatic':
      return {
        title: 'Automatic',
        detail: 'The token has the api scope: the wizard can create the webhooks for you.',
      };
    case 'manual':
      return {
        title: 'Manual (read-only)',
        detail: 'The token is read-only: the crawler can read, and you create each webhook by hand.',
      };
    case 'insufficient':
      return {
        title: 'Insufficient',
        detail: 'The token lacks scopes the crawler needs: create a new token with the scopes below.',
      };
  }
}

/** "in 12 days", "today", "never". */
export function expiryText(expiry: Expiry): string {
  if (expiry.status === 'never') return 'never';
  const d = expiry.days_left;
  if (d < 0) return `${-d} day${d === -1 ? '' : 's'} ago`;
  if (d === 0) return 'today';
  return `in ${d} day${d === 1 ? '' : 's'}`;
}

/** Short text for the webhook column. */
export function hookText(hooks: HookAccess): string {
  return hooks.kind === 'automatic' ? 'Automatic' : 'By hand';
}

/** What a detection stage is doing, for the progress line. */
export function stageText(stage: string, done: number): string {
  switch (stage) {
    case 'token':
      return 'Reading the token…';
    case 'user':
      return 'Reading the token owner…';
    case 'projects':
      return `Listing projects… ${done} so far`;
    case 'groups':
      return `Listing groups… ${done} so far`;
    default:
      return `${stage}… ${done}`;
  }
}

/** The marker Rust puts between a message's plain words and what the system said
 * (`error::DETAILS`). */
const DETAILS = ' Details: ';

/** A message's plain words, and what the system said (shown only on request), if anything. */
export function splitDetails(message: string): { words: string; details: string | null } {
  const at = message.indexOf(DETAILS);
  return at === -1
    ? { words: message, details: null }
    : { words: message.slice(0, at), details: message.slice(at + DETAILS.length) };
}
