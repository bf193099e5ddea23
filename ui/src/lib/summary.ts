// What the Summary step says, from what the earlier steps returned (nothing is asked of GitLab
// again): as lines for the screen and as the Markdown of "Export as Markdown".
import type { CsvFacts, Expiry, HookFacts, VerifyFacts } from './types';

/** Everything the Summary shows. */
export interface SummaryInput {
  /** The instance signed in to. */
  gitlabUrl: string;
  /** `@username` of the token's owner. */
  username: string;
  /** The token's expiry date (`YYYY-MM-DD`), or null when it never expires. */
  expiresAt: string | null;
  /** How close that is. */
  expiry: Expiry;
  /** The last plan or apply of step 3. */
  hooks: HookFacts | null;
  /** The last verify of step 3. */
  verify: VerifyFacts | null;
  /** The CSV of step 4. */
  csv: CsvFacts | null;
}

/** "1 project" / "2 projects". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The webhook counts as rows of label and number, worded as done (apply) or to do (plan). */
export function hookRows(h: HookFacts): [string, number][] {
  return h.applied
    ? [
        ['Created', h.created],
        ['Updated', h.updated],
        ['Already correct', h.unchanged],
        ['Covered by a group hook', h.covered],
        ...(h.removed > 0 ? [['Project hooks removed (now covered by the group hook)', h.removed] as [string, number]] : []),
        ['Left to add by hand', h.manual],
        ['Failed', h.failed],
      ]
    : [
        ['To create', h.created],
        ['To update', h.updated],
        ['Already correct', h.unchanged],
        ['Covered by a group hook', h.covered],
        ['To add by hand', h.manual],
        ['Failed to check', h.failed],
      ];
}

/** One line on the webhooks: what was done, or that nothing was. */
export function hooksLine(h: HookFacts | null): string {
  if (!h) return 'The webhooks were not checked or applied.';
  const head = h.applied
    ? `Apply ran on ${count(h.total, 'project')}${h.cancelled ? ' and was stopped before the end' : ''}.`
    : `Nothing was written yet: the last check covered ${count(h.total, 'project')}.`;
  const groups = h.groups_written > 0 ? ` ${count(h.groups_written, 'group hook')} written.` : '';
  return head + groups;
}

/** One line on the last verify. */
export function verifyLine(v: VerifyFacts | null): string | null {
  if (!v) return null;
  const unreadable =
    v.unreadable > 0
      ? `; ${count(v.unreadable, 'project')} could not be checked because the token cannot read ${v.unreadable === 1 ? 'its' : 'their'} webhooks`
      : '';
  const groups = v.groups_not_ok > 0 ? `; ${count(v.groups_not_ok, 'group hook')} not correct` : '';
  return `Verify: ${v.ok} of ${count(v.total, 'project')} have a correct hook${unreadable}${groups}.`;
}

/** Where the CSV went. */
export function csvLines(csv: CsvFacts | null): string[] {
  if (!csv) return ['The user mapping was not saved.'];
  const lines = [
    `Saved ${count(csv.rows, 'row')} to ${csv.path}${csv.changed_since ? ' (the mapping changed since: save it again)' : ''}.`,
  ];
  if (csv.uploaded_to) {
    lines.push(
      `Uploaded to ${csv.uploaded_to}; ${csv.upload_verified ? 'the storage confirmed its checksum' : 'the storage reported no checksum to confirm it'}.`,
    );
  } else {
    lines.push('Not uploaded: give the file to the crawler (step 4 can upload it to its bucket).');
  }
  return lines;
}

/** The token's expiry and what to do before it. */
export function expiryLines(expiresAt: string | null, expiry: Expiry): string[] {
  if (expiry.status === 'never' || expiresAt === null) {
    return ['The token does not expire. Revoke it in GitLab when the crawler no longer needs it.'];
  }
  const when =
    expiry.days_left < 0
      ? `expired on ${expiresAt}`
      : expiry.days_left === 0
        ? `expires today (${expiresAt})`
        : `expires on ${expiresAt}, in ${count(expiry.days_left, 'day')}`;
  return [
    `The token ${when}.`,
    'Before then, create a new token with the same scopes in GitLab, give it to the crawler, and sign in here with it to check what it reaches. The webhooks do not depend on the token and keep working.',
  ];
}

/**
 * Text safe to put inside a Markdown line (each line starts with our own words): characters
 * that would format, link, open HTML, split a table cell or break the line are escaped.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/([\\`*_[\]<>|~])/g, '\\$1');
}

/** The Summary as a Markdown document. */
export function summaryMarkdown(input: SummaryInput, date: string): string {
  const e = escapeMarkdown;
  const lines = [
    '# GitLab Onboard summary',
    '',
    `${e(input.gitlabUrl)}, token of @${e(input.username)}, ${e(date)}.`,
    '',
    '## Webhooks',
    '',
    e(hooksLine(input.hooks)),
  ];
  if (input.hooks) {
    lines.push('', '| Projects | Count |', '| --- | ---: |');
    for (const [label, n] of hookRows(input.hooks)) lines.push(`| ${e(label)} | ${n} |`);
  }
  const verify = verifyLine(input.verify);
  if (verify) lines.push('', e(verify));
  lines.push('', '## User mapping', '');
  for (const l of csvLines(input.csv)) lines.push(`- ${e(l)}`);
  lines.push('', '## Token', '');
  for (const l of expiryLines(input.expiresAt, input.expiry)) lines.push(e(l), '');
  return `${lines.join('\n').trimEnd()}\n`;
}
