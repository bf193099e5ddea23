import { describe, expect, it } from 'vitest';
import type { GroupHook, RunReport } from './types';
import { csvFacts, hookFacts, UsersStep, verifyFacts, webhooksDone } from './wizard.svelte';

function group(full_path: string, action: 'create' | 'unchanged'): GroupHook {
  return {
    group_id: 1,
    full_path,
    hooks_url: '',
    plan: 'premium',
    support: 'paid',
    projects: 3,
    hook_id: null,
    duplicates: [],
    disabled: null,
    covering: false,
    test_delivery: null,
    advice: '',
    action,
  } as GroupHook;
}

const run: RunReport = {
  groups: [group('acme', 'create'), group('offer', 'create')],
  outcomes: [],
  summary: { total: 5, create: 2, update: 1, unchanged: 0, covered: 1, manual: 1, failed: 0, duplicates: 0, removed: 0 },
  cancelled: false,
  resumed: 0,
};

describe('what each step keeps', () => {
  it('counts as written only the group hooks asked for, not the offers', () => {
    expect(hookFacts(run, true, ['acme']).groups_written).toBe(1);
    expect(hookFacts(run, true).groups_written).toBe(0);
    expect(hookFacts(run, true, ['acme'])).toMatchObject({ created: 2, updated: 1, covered: 1, manual: 1, applied: true, removed: 0 });
    expect(hookFacts({ ...run, summary: { ...run.summary, removed: 3 } }, true).removed).toBe(3);
  });

  it('marks step 3 done after a clean apply or a verify with nothing left for the automation', () => {
    const applied = hookFacts(run, true);
    expect(webhooksDone(applied, null)).toBe(true);
    expect(webhooksDone({ ...applied, failed: 1 }, null)).toBe(false);
    expect(webhooksDone({ ...applied, cancelled: true }, null)).toBe(false);
    expect(webhooksDone(hookFacts(run, false), null)).toBe(false);
    expect(webhooksDone(null, { total: 3, ok: 2, unreadable: 1, groups_not_ok: 0 })).toBe(true);
    expect(webhooksDone(null, { total: 3, ok: 1, unreadable: 1, groups_not_ok: 0 })).toBe(false);
    expect(
      verifyFacts({
        groups: [],
        groups_not_ok: 0,
        checks: [{ status: 'unknown', reason: 'x' } as never, { status: 'ok' } as never],
        ok: 1,
        cancelled: false,
        test_deliveries: false,
      }),
    ).toEqual({ total: 2, ok: 1, unreadable: 1, groups_not_ok: 0 });
  });

  it('keeps the CSV facts of a save and its upload', () => {
    const users = new UsersStep();
    expect(csvFacts(users)).toBeNull();
    users.saved = { path: '/tmp/m.csv', rows: 3, bytes: 40 };
    users.uploaded = {
      target: 'gs://b/o',
      bytes: 40,
      md5: '',
      crc32c: '',
      confirmed: { size: true, md5: false, crc32c: true },
    };
    expect(csvFacts(users)).toEqual({
      path: '/tmp/m.csv',
      rows: 3,
      changed_since: false,
      uploaded_to: 'gs://b/o',
      upload_verified: true,
    });
  });
});
