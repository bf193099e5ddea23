import { describe, expect, it } from 'vitest';
import { count, csvLines, escapeMarkdown, expiryLines, hookRows, hooksLine, summaryMarkdown, verifyLine, type SummaryInput } from './summary';
import type { HookFacts } from './types';

const applied: HookFacts = {
  applied: true,
  total: 40,
  created: 22,
  updated: 0,
  unchanged: 3,
  covered: 14,
  manual: 1,
  failed: 0,
  groups_written: 1,
  cancelled: false,
  removed: 0,
};

const input: SummaryInput = {
  gitlabUrl: 'https://gitlab.example.com',
  username: 'crawler_admin',
  expiresAt: '2027-06-01',
  expiry: { status: 'ok', days_left: 180 },
  hooks: applied,
  verify: { total: 40, ok: 38, unreadable: 2, groups_not_ok: 0 },
  csv: { path: '/home/a/map|ping.csv', rows: 1, changed_since: false, uploaded_to: null, upload_verified: false },
};

describe('summary words', () => {
  it('agrees in number', () => {
    expect(count(1, 'row')).toBe('1 row');
    expect(count(2, 'row')).toBe('2 rows');
    expect(count(1, 'project needs', 'projects need')).toBe('1 project needs');
    expect(csvLines(input.csv)[0]).toBe('Saved 1 row to /home/a/map|ping.csv.');
  });

  it('words an apply as done and a plan as to do', () => {
    expect(hookRows(applied)[0]).toEqual(['Created', 22]);
    expect(hookRows(applied).map(([label]) => label)).not.toContain('Project hooks removed (now covered by the group hook)');
    expect(hookRows({ ...applied, removed: 14 })).toContainEqual(['Project hooks removed (now covered by the group hook)', 14]);
    expect(hooksLine(applied)).toBe('Apply ran on 40 projects. 1 group hook written.');
    const plan = { ...applied, applied: false, groups_written: 0 };
    expect(hookRows(plan)[0]).toEqual(['To create', 22]);
    expect(hooksLine(plan)).toContain('Nothing was written yet');
    expect(hooksLine(null)).toContain('not checked or applied');
  });

  it('says plainly which projects Verify could not see', () => {
    expect(verifyLine(input.verify)).toBe(
      'Verify: 38 of 40 projects have a correct hook; 2 projects could not be checked because the token cannot read their webhooks.',
    );
    expect(verifyLine(null)).toBeNull();
  });

  it('says when the token expires and what to do before', () => {
    const [when, todo] = expiryLines('2027-06-01', { status: 'ok', days_left: 1 });
    expect(when).toBe('The token expires on 2027-06-01, in 1 day.');
    expect(todo).toContain('Before then, create a new token');
    expect(expiryLines(null, { status: 'never' })[0]).toContain('does not expire');
    expect(expiryLines('2025-01-01', { status: 'soon', days_left: -3 })[0]).toBe('The token expired on 2025-01-01.');
  });

  it('escapes what would format, link or split a table', () => {
    expect(escapeMarkdown('a_b*[x](y)<img>|`c`\nnext')).toBe('a\\_b\\*\\[x\\](y)\\<img\\>\\|\\`c\\` next');
  });

  it('renders the whole summary as Markdown', () => {
    const md = summaryMarkdown(input, '2026-11-30');
    expect(md.startsWith('# GitLab Onboard summary\n')).toBe(true);
    expect(md).toContain('https://gitlab.example.com, token of @crawler\\_admin, 2026-11-30.');
    expect(md).toContain('| Created | 22 |');
    expect(md).toContain('| Covered by a group hook | 14 |');
    expect(md).toContain('- Saved 1 row to /home/a/map\\|ping.csv.');
    expect(md).toContain('- Not uploaded');
    expect(md).toContain('The token expires on 2027-06-01, in 180 days.');
    expect(md.endsWith('\n')).toBe(true);
    expect(md).not.toContain('\n\n\n');
  });
});
