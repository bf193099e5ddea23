// Words and numbers for the Users screen; kept apart from the components so they can be tested alone.
import type { BuildProgress, EmailSource, MappingSummary } from './types';

const SOURCE_LABELS: Record<EmailSource, string> = {
  gitlab: 'GitLab',
  public_email: 'Public email',
  identity_provider: 'Identity provider',
  guessed: 'Guessed',
  edited: 'Edited',
};

/** Every source, in order of trust (as the core applies them), edits last. */
export const SOURCES = Object.keys(SOURCE_LABELS) as EmailSource[];

/** How the screen names a source; "No email" for none. */
export function sourceLabel(source: EmailSource | null): string {
  return source ? SOURCE_LABELS[source] : 'No email';
}

/** One line for a build's progress message. */
export function buildStageText(p: BuildProgress): string {
  const of = p.total === null ? '' : ` of ${p.total}`;
  switch (p.stage) {
    case 'members':
      return `Reading members: ${p.done}${of} ${(p.total ?? p.done) === 1 ? 'group or project' : 'groups and projects'}`;
    case 'emails':
      return `Reading the users' emails GitLab shows: ${p.done} ${p.done === 1 ? 'page' : 'pages'}`;
    case 'public_emails':
      return `Looking up public emails: ${p.done}${of} ${(p.total ?? p.done) === 1 ? 'user' : 'users'}`;
    default:
      return `${p.stage}: ${p.done}${of}`;
  }
}

/** What the summary should make the admin look at, one sentence each. */
export function summaryNotes(s: MappingSummary): string[] {
  const notes: string[] = [];
  const { unresolved, flagged } = s.counts;
  if (unresolved > 0) {
    notes.push(
      `${unresolved} ${unresolved === 1 ? 'person has' : 'people have'} no email and will not be in the CSV, so ` +
        'the crawler cannot map their permissions: show "No email" to type them in, or add a source.',
    );
  }
  if (flagged > 0) {
    notes.push(`${flagged} ${flagged === 1 ? 'row needs' : 'rows need'} a look: show "Needs a look" to see why.`);
  }
  const guessed = s.counts.by_source.guessed ?? 0;
  if (guessed > 0) {
    notes.push(
      `${guessed} ${guessed === 1 ? 'email is' : 'emails are'} guessed from the domain: check ${guessed === 1 ? 'it' : 'a few'} before uploading.`,
    );
  }
  return notes;
}

/** Bytes as the admin reads them. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
