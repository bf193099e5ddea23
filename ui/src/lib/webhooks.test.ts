import { describe, expect, it } from 'vitest';
import { report } from '../test/fixtures';
import { groupOptions, inGroup, outcomeDetail, selectedProjects, summaryText, triggerLabels } from './webhooks';

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
    const summary = { total: 3, create: 1, update: 1, unchanged: 0, covered: 0, manual: 1, failed: 0, duplicates: 2 };
    expect(summaryText(summary)).toBe('3 projects: 1 create, 1 update, 0 unchanged, 1 manual, 0 failed; 2 duplicate hooks');
    expect(outcomeDetail({ action: 'update', reasons: ['Wiki page events off', 'secret not set by this tool'] })).toBe(
      'Wiki page events off, secret not set by this tool',
    );
    expect(outcomeDetail({ action: 'covered', group: 'acme' })).toContain('acme');
  });
});
