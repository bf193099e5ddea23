import { describe, expect, it } from 'vitest';
import { report } from '../test/fixtures';
import {
  appliedText,
  groupOptions,
  inGroup,
  outcomeDetail,
  outcomeLabel,
  selectedProjects,
  summaryText,
  triggerLabels,
  verifiedText,
  writableProjects,
} from './webhooks';

describe('webhook words and selections', () => {
  it('selects live projects in a group and its subgroups, as the core does', () => {
    const r = report();
    expect(selectedProjects(r, '').map((p) => p.id)).toEqual([1]);
    expect(selectedProjects(r, 'acme').map((p) => p.id)).toEqual([1]);
    expect(selectedProjects(r, 'acme/backend').map((p) => p.id)).toEqual([1]);
    expect(inGroup(r.projects[0], 'acme/back')).toBe(false);
    expect(groupOptions(r)).toEqual(['acme', 'acme/backend']);
  });

  it('names the triggers as GitLab does, options included', () => {
    expect(triggerLabels(false, false)).toEqual([
      'Push events',
      'Issues events',
      'Merge request events',
      'Comments',
      'Wiki page events',
    ]);
    expect(triggerLabels(true, true)).toHaveLength(8);
  });

  it('summarises a run and explains outcomes', () => {
    const summary = { total: 3, create: 1, update: 1, unchanged: 0, covered: 0, manual: 1, failed: 0, duplicates: 2, removed: 0 };
    expect(summaryText(summary)).toBe(
      '3 projects: 1 to create, 1 to update, 0 already correct, 1 to do by hand, 0 failed; 2 duplicate hooks. Nothing was changed yet.',
    );
    expect(appliedText({ ...summary, total: 40, create: 22, update: 0, covered: 14, duplicates: 0 })).toBe(
      'Created 22, updated 0, 0 already correct, 14 covered by a group hook, 1 left to do by hand, 0 failed (40 projects).',
    );
    expect(appliedText({ ...summary, total: 40, create: 0, update: 0, covered: 14, duplicates: 0, removed: 14 })).toBe(
      'Created 0, updated 0, 0 already correct, 14 covered by a group hook, 1 left to do by hand, 0 failed (40 projects). Removed 14 project hooks now covered by the group hook.',
    );
    expect(appliedText({ ...summary, removed: 1 })).toContain('Removed 1 project hook now covered by the group hook.');
    expect(outcomeLabel('create')).toBe('Create');
    expect(outcomeLabel('create', true)).toBe('Created');
    expect(outcomeLabel('manual', true)).toBe('To do by hand');
    expect(outcomeDetail({ action: 'update', reasons: ['Wiki page events off', 'secret not set by this tool'] })).toBe(
      'Wiki page events off, secret not set by this tool',
    );
    expect(outcomeDetail({ action: 'covered', group: 'acme' })).toContain('acme');
  });

  it('counts only the projects Apply can write', () => {
    const r = report();
    const manual = { ...r.projects[0], id: 9, hooks: { kind: 'manual' as const, reason: 'role Developer' } };
    expect(writableProjects([r.projects[0], manual]).map((p) => p.id)).toEqual([1]);
  });

  it('says plainly what Verify could not see, in agreeing numbers', () => {
    expect(verifiedText(1, 1, 0, 0)).toBe('Verified: 1 of 1 project has a correct hook.');
    expect(verifiedText(0, 2, 1, 1)).toBe(
      'Verified: 0 of 2 projects have a correct hook; 1 project could not be checked: the token cannot read its webhooks (that needs Maintainer); check it in GitLab; 1 group hook is not correct.',
    );
  });
});
