// Words and selections for the Webhooks screen; kept apart from the screen so they can be
// tested alone.
import type { HookAction, HookCheck, HookSummary, ProjectAccess, TokenReport } from './types';

/** An outcome filter value: an action, or projects no run has reached yet. */
export type OutcomeFilter = 'all' | HookAction['action'] | 'none';

/** Outcome filter choices, in the order the menu shows them. */
export const OUTCOME_FILTERS: { value: OutcomeFilter; label: string }[] = [
  { value: 'all', label: 'All outcomes' },
  { value: 'create', label: 'Create' },
  { value: 'update', label: 'Update' },
  { value: 'unchanged', label: 'Unchanged' },
  { value: 'covered', label: 'Covered by a group hook' },
  { value: 'manual', label: 'Manual' },
  { value: 'failed', label: 'Failed' },
  { value: 'none', label: 'Not checked yet' },
];

/** What an apply did, per outcome (a plan's words are the filters'). */
const DONE_LABELS: Record<HookAction['action'], string> = {
  create: 'Created',
  update: 'Updated',
  unchanged: 'Already correct',
  covered: 'Covered by a group hook',
  manual: 'To do by hand',
  failed: 'Failed',
};

/** A short label for an outcome: what a plan would do, or (`applied`) what an apply did. */
export function outcomeLabel(action: HookAction['action'], applied = false): string {
  if (applied) return DONE_LABELS[action] ?? action;
  return OUTCOME_FILTERS.find((f) => f.value === action)?.label ?? action;
}

/** Why, for an outcome that has a reason ("" otherwise). */
export function outcomeDetail(action: HookAction): string {
  switch (action.action) {
    case 'update':
      return action.reasons.join(', ');
    case 'covered':
      return `the group ${action.group} has the crawler's hook`;
    case 'manual':
      return action.reason;
    case 'failed':
      return action.message;
    default:
      return '';
  }
}

/** A short label for a verification. */
export function checkLabel(status: HookCheck['status']): string {
  switch (status) {
    case 'ok':
      return 'OK';
    case 'missing':
      return 'Missing';
    case 'wrong':
      return 'Wrong';
    case 'unknown':
      return 'Not readable';
    case 'failed':
      return 'Failed';
  }
}

/** Why, for a verification that is not OK ("" when it is). */
export function checkDetail(check: HookCheck): string {
  switch (check.status) {
    case 'missing':
      return "no hook with the crawler's URL";
    case 'wrong':
      return check.reasons.join(', ');
    case 'unknown':
      return check.reason;
    case 'failed':
      return check.message;
    default:
      return '';
  }
}

/** Whether a project is in `group` or below it; every project when `group` is "". */
export function inGroup(project: ProjectAccess, group: string): boolean {
  const path = project.namespace.full_path;
  return group === '' || path === group || path.startsWith(`${group}/`);
}

/** The projects Apply can write: selected, and the token may manage their hooks. */
export function writableProjects(projects: ProjectAccess[]): ProjectAccess[] {
  return projects.filter((p) => p.hooks.kind === 'automatic');
}

/** The projects a run covers: not archived, in the group (as the core's `Selection` picks). */
export function selectedProjects(report: TokenReport, group: string): ProjectAccess[] {
  return report.projects.filter((p) => !p.archived && inGroup(p, group));
}

/** Every group holding a non-archived project, with its ancestors, sorted. */
export function groupOptions(report: TokenReport): string[] {
  const groups = new Set<string>();
  for (const p of report.projects) {
    if (p.archived || p.namespace.kind !== 'group') continue;
    const parts = p.namespace.full_path.split('/');
    for (let i = 1; i <= parts.length; i++) groups.add(parts.slice(0, i).join('/'));
  }
  return [...groups].sort();
}

/** The hook's triggers as GitLab's settings page names them. */
export function triggerLabels(tagPush: boolean, confidential: boolean): string[] {
  return [
    'Push events',
    ...(tagPush ? ['Tag push events'] : []),
    'Issues events',
    ...(confidential ? ['Confidential issues events'] : []),
    'Merge request events',
    'Comments',
    ...(confidential ? ['Confidential comments'] : []),
    'Wiki page events',
  ];
}

/** "1 project" / "2 projects". */
function n(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** "40 projects: 12 to create, …" for a plan's summary line. */
export function summaryText(s: HookSummary): string {
  const parts = [
    `${s.create} to create`,
    `${s.update} to update`,
    `${s.unchanged} already correct`,
    ...(s.covered ? [`${s.covered} covered by a group hook`] : []),
    `${s.manual} to do by hand`,
    `${s.failed} failed`,
  ];
  const dups = s.duplicates > 0 ? `; ${n(s.duplicates, 'duplicate hook')}` : '';
  return `${n(s.total, 'project')}: ${parts.join(', ')}${dups}. Nothing was changed yet.`;
}

/** " Removed 14 project hooks now covered by the group hook." after an apply that did; empty otherwise. */
export function removedText(removed: number): string {
  return removed > 0 ? ` Removed ${n(removed, 'project hook')} now covered by the group hook.` : '';
}

/** "Created 22, updated 0, …" for an apply's summary line: what was done. */
export function appliedText(s: HookSummary): string {
  const parts = [
    `Created ${s.create}`,
    `updated ${s.update}`,
    `${s.unchanged} already correct`,
    ...(s.covered ? [`${s.covered} covered by a group hook`] : []),
    `${s.manual} left to do by hand`,
    `${s.failed} failed`,
  ];
  const dups = s.duplicates > 0 ? `; ${n(s.duplicates, 'duplicate hook')} seen` : '';
  return `${parts.join(', ')}${dups} (${n(s.total, 'project')}).${removedText(s.removed)}`;
}

/** The Verify line: correct hooks, and plainly which projects the token cannot read. */
export function verifiedText(ok: number, total: number, unreadable: number, groupsNotOk: number): string {
  const parts = [`Verified: ${ok} of ${n(total, 'project')} ${ok === 1 ? 'has' : 'have'} a correct hook`];
  if (unreadable > 0) {
    parts.push(
      `${n(unreadable, 'project')} could not be checked: the token cannot read ${unreadable === 1 ? 'its' : 'their'} webhooks (that needs Maintainer); check ${unreadable === 1 ? 'it' : 'them'} in GitLab`,
    );
  }
  if (groupsNotOk > 0) parts.push(`${n(groupsNotOk, 'group hook is', 'group hooks are')} not correct`);
  return `${parts.join('; ')}.`;
}
