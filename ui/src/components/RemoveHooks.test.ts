import type { Channel } from '@tauri-apps/api/core';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { byTestId, click, render, waitFor } from '../test/dom';
import type { HookRemoval, Removal, RunProgress } from '../lib/types';
import RemoveHooks from './RemoveHooks.svelte';

afterEach(() => clearMocks());

function target(kind: 'project' | 'group', id: number, path: string, extra: Partial<HookRemoval>): HookRemoval {
  return {
    kind,
    id,
    path,
    hooks_url: `https://gitlab.example.com/${path}/-/hooks`,
    delete: [],
    deleted: [],
    left: [],
    status: 'nothing',
    ...extra,
  } as HookRemoval;
}

const PLAN: Removal = {
  groups: [target('group', 5, 'acme', { status: 'delete', delete: [50] })],
  projects: [
    target('project', 1, 'acme/api', { status: 'delete', delete: [11, 12] }),
    target('project', 2, 'acme/web', { status: 'nothing' }),
    target('project', 3, 'partners/portal', { status: 'manual', reason: 'your role here is Developer', left: [31] }),
  ],
};

const DONE: Removal = {
  groups: [target('group', 5, 'acme', { status: 'deleted', deleted: [50] })],
  projects: [
    target('project', 1, 'acme/api', { status: 'deleted', deleted: [11, 12] }),
    target('project', 2, 'acme/web', { status: 'nothing' }),
    target('project', 3, 'partners/portal', { status: 'manual', reason: 'your role here is Developer', left: [31] }),
  ],
};

describe('Remove hooks', () => {
  it('lists what goes, deletes only after one confirmation, then says it is done', async () => {
    const calls: string[] = [];
    let channel: Channel<RunProgress<HookRemoval>> | undefined;
    mockIPC((cmd, args) => {
      calls.push(cmd);
      if (cmd === 'plan_removal') {
        channel = (args as { onProgress: Channel<RunProgress<HookRemoval>> }).onProgress;
        return PLAN;
      }
      if (cmd === 'remove_hooks') return DONE;
      throw new Error(`unexpected command ${cmd}`);
    });
    let removed: Removal | null = null;
    const root = render(RemoveHooks, { onRemoved: (r: Removal) => (removed = r) });
    click(byTestId(root, 'remove-plan'));
    await waitFor(() => byTestId(root, 'remove-list'));
    expect(channel).toBeDefined();
    expect(calls).toEqual(['plan_removal']);
    expect(byTestId(root, 'remove-count').textContent).toContain('These 3 webhooks will be deleted');
    expect(byTestId(root, 'remove-item-group-5').textContent).toContain('acme');
    expect(byTestId(root, 'remove-item-project-1').textContent).toContain('11, 12');
    expect(root.querySelector('[data-testid="remove-item-project-2"]')).toBeNull();
    expect(byTestId(root, 'remove-stays').textContent).toContain('your role here is Developer');
    expect(byTestId(root, 'remove-confirm').textContent).toBe('Delete 3 webhooks');

    click(byTestId(root, 'remove-confirm'));
    await waitFor(() => byTestId(root, 'remove-done'));
    expect(calls).toEqual(['plan_removal', 'remove_hooks']);
    expect(byTestId(root, 'remove-done').textContent).toContain('Deleted 3 webhooks');
    expect(byTestId(root, 'remove-done').textContent).toContain('partners/portal');
    expect(removed).toEqual(DONE);
  });

  it('keeps everything when the admin says no', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'plan_removal') return PLAN;
      throw new Error(`unexpected command ${cmd}`);
    });
    const root = render(RemoveHooks, {});
    click(byTestId(root, 'remove-plan'));
    await waitFor(() => byTestId(root, 'remove-cancel'));
    click(byTestId(root, 'remove-cancel'));
    expect(root.querySelector('[data-testid="remove-list"]')).toBeNull();
    expect(calls).toEqual(['plan_removal']);
  });

  it('says when there is nothing to remove, and shows errors in plain words', async () => {
    let fail = true;
    mockIPC((cmd) => {
      if (cmd === 'plan_removal') {
        if (fail) throw { code: 'not_onboarded', message: 'no finished webhook setup is recorded' };
        return { groups: [], projects: [target('project', 2, 'acme/web', {})] };
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    const root = render(RemoveHooks, {});
    click(byTestId(root, 'remove-plan'));
    await waitFor(() => expect(byTestId(root, 'error-code').textContent).toBe('not_onboarded'));
    fail = false;
    click(byTestId(root, 'remove-plan'));
    await waitFor(() => byTestId(root, 'remove-nothing'));
    expect(root.querySelector('[data-testid="remove-confirm"]')).toBeNull();
  });
});
