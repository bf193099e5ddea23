import type { Channel, InvokeArgs } from '@tauri-apps/api/core';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { byTestId, click, render, type, waitFor } from '../test/dom';
import type {
  BuildProgress,
  BuildRequest,
  MappingRow,
  MappingSummary,
  RowFilter,
  UploadProgress,
  UploadTarget,
} from '../lib/types';
import UsersScreen from './UsersScreen.svelte';
import { UsersStep } from '../lib/wizard.svelte';
import { unmount, mount, flushSync } from 'svelte';

afterEach(() => clearMocks());

/** A stand-in for the Rust side: 250 people, filtered and paged as `users_rows` does. */
class FakeBackend {
  rows: MappingRow[] = Array.from({ length: 250 }, (_, i) => ({
    id: 1000 + i,
    username: `user${i}`,
    name: `Person ${i}`,
    email: i % 50 === 0 ? null : `user${i}@corp.example`,
    source: i % 50 === 0 ? null : 'guessed',
    problems: [],
  }));
  calls: { cmd: string; args: Record<string, unknown> }[] = [];
  buildChannel: Channel<BuildProgress> | undefined;
  finishBuild: () => void = () => {};
  saveExists = true;
  /** Whether the (system) save dialog asked before replacing. */
  dialogAsked = false;

  summary(): MappingSummary {
    const unresolved = this.rows.filter((r) => r.email === null).length;
    const edited = this.rows.filter((r) => r.source === 'edited').length;
    return {
      counts: {
        total: this.rows.length,
        by_source: { guessed: this.rows.length - unresolved - edited, ...(edited ? { edited } : {}) },
        unresolved,
        flagged: 0,
        excluded: 3,
      },
      written: this.rows.length - unresolved,
      excluded_bots: 2,
      excluded_blocked: 1,
      warnings: ['Public emails were not looked up for 250 users'],
    };
  }

  handle = (cmd: string, payload?: InvokeArgs): unknown => {
    const args = (payload ?? {}) as Record<string, unknown>;
    this.calls.push({ cmd, args });
    switch (cmd) {
      case 'users_summary':
        return null;
      case 'users_choose_idp':
        return { handle: 1, path: '/home/admin/okta.csv', replace_asked: false };
      case 'users_choose_save':
        return { handle: 2, path: '/home/admin/mapping.csv', replace_asked: this.dialogAsked };
      case 'users_build':
        this.buildChannel = args.onProgress as Channel<BuildProgress>;
        return new Promise((resolve) => (this.finishBuild = () => resolve(this.summary())));
      case 'users_rows': {
        const { filter, start, count } = args as { filter: RowFilter; start: number; count: number };
        const matching = this.rows.filter(
          (r) =>
            (filter.status !== 'unresolved' || r.email === null) &&
            (filter.source === null || r.source === filter.source) &&
            (filter.search === '' || r.username.includes(filter.search)),
        );
        // Fresh objects, as over IPC.
        return { total: matching.length, start, rows: matching.slice(start, start + count).map((r) => ({ ...r })) };
      }
      case 'users_edit': {
        const { id, email } = args as { id: number; email: string | null };
        if (email !== null && !email.includes('@')) {
          throw { code: 'invalid_input', message: `Email of user ${id}: '${email}' is not an email address` };
        }
        const row = this.rows.find((r) => r.id === id)!;
        Object.assign(row, { email, source: 'edited' });
        return { row: { ...row }, summary: this.summary() };
      }
      case 'users_save': {
        if (!args.overwrite && this.saveExists) {
          throw { code: 'file_exists', message: '/home/admin/mapping.csv already exists: replace it, or choose another name' };
        }
        return { path: '/home/admin/mapping.csv', rows: this.summary().written, bytes: 1234 };
      }
      case 'users_upload': {
        const channel = args.onProgress as Channel<UploadProgress>;
        channel.onmessage({ sent: 617, total: 1234 });
        return {
          target: 'https://storage.googleapis.com/bucket/mapping.csv',
          bytes: 1234,
          md5: 'x',
          crc32c: 'y',
          confirmed: { size: true, md5: true, crc32c: false },
        };
      }
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  };

  last(cmd: string): Record<string, unknown> {
    const call = this.calls.filter((c) => c.cmd === cmd).pop();
    if (!call) throw new Error(`no ${cmd} call`);
    return call.args;
  }
}

async function built(backend: FakeBackend): Promise<HTMLElement> {
  mockIPC(backend.handle);
  const root = render(UsersScreen, { onBack: () => {} });
  click(byTestId(root, 'idp-choose'));
  await waitFor(() => expect(byTestId(root, 'idp-path').textContent).toBe('/home/admin/okta.csv'));
  type(byTestId(root, 'email-domain'), 'corp.example');
  click(byTestId(root, 'build'));
  await waitFor(() => expect(backend.buildChannel).toBeDefined());
  backend.buildChannel?.onmessage({ stage: 'members', done: 3, total: 12 });
  await waitFor(() => expect(byTestId(root, 'build-progress').textContent).toContain('3 of 12 groups and projects'));
  backend.finishBuild();
  await waitFor(() => expect(root.querySelector('[data-testid="user-row"]')).not.toBeNull());
  return root;
}

const rowIds = (root: HTMLElement) =>
  [...root.querySelectorAll<HTMLElement>('[data-testid="user-row"]')].map((r) => Number(r.dataset.id));

describe('Users screen', () => {
  it('builds from the chosen sources, shows the summary and only the rows in view', async () => {
    const backend = new FakeBackend();
    const root = await built(backend);

    const request = backend.last('users_build').request as BuildRequest;
    // The export goes to Rust as the dialog's handle, never as a path.
    expect(request).toMatchObject({ idp: 1, email_domain: 'corp.example', include_bots: false });
    expect(JSON.stringify(request)).not.toContain('/home/admin');
    expect(byTestId(root, 'count-total').textContent).toBe('250');
    expect(byTestId(root, 'count-written').textContent).toBe('245');
    expect(byTestId(root, 'count-unresolved').textContent).toBe('5');
    expect(byTestId(root, 'source-guessed').textContent).toBe('Guessed: 245');
    expect(byTestId(root, 'summary-notes').textContent).toContain('5 people have no email');
    expect(byTestId(root, 'summary-notes').textContent).toContain('Public emails were not looked up');
    await waitFor(() => expect(byTestId(root, 'shown').textContent).toBe('250 of 250 shown'));
    // 440 px at 40 px a row, plus the overscan: far fewer than 250 rows in the DOM.
    expect(rowIds(root).length).toBeLessThan(30);
    expect(rowIds(root)[0]).toBe(1000);
  });

  it('filters by status and source through Rust', async () => {
    const backend = new FakeBackend();
    const root = await built(backend);

    const status = byTestId<HTMLSelectElement>(root, 'filter-status');
    status.value = 'unresolved';
    status.dispatchEvent(new Event('change', { bubbles: true }));
    await waitFor(() => expect(byTestId(root, 'shown').textContent).toBe('5 of 250 shown'));
    expect(backend.last('users_rows').filter).toEqual({ status: 'unresolved', source: null, search: '' });
    expect(rowIds(root)).toEqual([1000, 1050, 1100, 1150, 1200]);
    expect(root.textContent).toContain('no email');

    status.value = 'all';
    status.dispatchEvent(new Event('change', { bubbles: true }));
    const source = byTestId<HTMLSelectElement>(root, 'filter-source');
    source.value = 'guessed';
    source.dispatchEvent(new Event('change', { bubbles: true }));
    await waitFor(() => expect(byTestId(root, 'shown').textContent).toBe('245 of 250 shown'));
    expect(backend.last('users_rows').filter).toMatchObject({ source: 'guessed' });
  });

  it('edits an email in place, keeping the text when Rust refuses it', async () => {
    const backend = new FakeBackend();
    const root = await built(backend);

    click(byTestId(root, 'edit'));
    const input = byTestId<HTMLInputElement>(root, 'edit-email');
    expect(input.value).toBe('');
    type(input, 'kim at corp');
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await waitFor(() => expect(byTestId(root, 'edit-error').textContent).toContain("'kim at corp' is not an email"));
    expect(byTestId<HTMLInputElement>(root, 'edit-email').value).toBe('kim at corp');

    type(byTestId(root, 'edit-email'), 'kim@corp.example');
    byTestId(root, 'edit-email').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await waitFor(() => expect(byTestId(root, 'count-unresolved').textContent).toBe('4'));
    expect(backend.last('users_edit')).toEqual({ id: 1000, email: 'kim@corp.example' });
    await waitFor(() => expect(byTestId(root, 'source').textContent).toBe('Edited'));
    expect(byTestId(root, 'email').textContent).toBe('kim@corp.example');
    expect(root.querySelector('[data-testid="edit-error"]')).toBeNull();
  });

  it('asks before replacing a file, then uploads what was saved with progress', async () => {
    const backend = new FakeBackend();
    const root = await built(backend);
    expect(byTestId(root, 'upload-blocked').textContent).toContain('Save the CSV first');

    click(byTestId(root, 'save'));
    await waitFor(() => expect(byTestId(root, 'overwrite').textContent).toContain('/home/admin/mapping.csv'));
    expect(root.querySelector('[data-testid="saved"]')).toBeNull();
    click(byTestId(root, 'overwrite-replace'));
    await waitFor(() => expect(byTestId(root, 'saved').textContent).toContain('Saved 245 rows'));
    expect(backend.last('users_save')).toEqual({ file: 2, header: false, overwrite: true });

    type(byTestId(root, 'signed-url'), 'https://storage.googleapis.com/bucket/mapping.csv?X-Goog-Signature=ab');
    click(byTestId(root, 'upload'));
    await waitFor(() => expect(byTestId(root, 'uploaded').textContent).toContain('GCS confirmed its MD5.'));
    const upload = backend.last('users_upload');
    expect(Object.keys(upload).sort()).toEqual(['onProgress', 'target']);
    expect(upload.target as UploadTarget).toEqual({
      kind: 'signed_url',
      url: 'https://storage.googleapis.com/bucket/mapping.csv?X-Goog-Signature=ab',
    });
  });

  it('blocks the upload after an edit until the CSV is saved again', async () => {
    const backend = new FakeBackend();
    backend.saveExists = false;
    const root = await built(backend);
    click(byTestId(root, 'save'));
    await waitFor(() => byTestId(root, 'saved'));
    type(byTestId(root, 'signed-url'), 'https://storage.googleapis.com/b/o?X-Goog-Signature=ab');
    expect(byTestId<HTMLButtonElement>(root, 'upload').disabled).toBe(false);

    click(byTestId(root, 'edit'));
    type(byTestId(root, 'edit-email'), 'kim@corp.example');
    click(byTestId(root, 'edit-save'));
    await waitFor(() => expect(byTestId(root, 'upload-blocked').textContent).toContain('save it again'));
    expect(byTestId<HTMLButtonElement>(root, 'upload').disabled).toBe(true);
  });

  it("shows a build's error and keeps the preview", async () => {
    const backend = new FakeBackend();
    const root = await built(backend);
    const handle = backend.handle;
    mockIPC((cmd, args) => {
      if (cmd === 'users_build') throw { code: 'idp_file', message: '/home/admin/okta.csv:3: 2 fields where the header has 3' };
      return handle(cmd, args);
    });
    click(byTestId(root, 'build'));
    await waitFor(() => expect(byTestId(root, 'error-message').textContent).toContain('okta.csv:3:'));
    expect(byTestId(root, 'count-total').textContent).toBe('250');
    expect(rowIds(root)[0]).toBe(1000);
  });

  it('keeps its sources, saved file and upload fields when the step is left and opened again', async () => {
    const backend = new FakeBackend();
    backend.saveExists = false;
    mockIPC(backend.handle);
    const users = new UsersStep();
    const target = document.body.appendChild(document.createElement('div'));
    const first = mount(UsersScreen, { target, props: { onBack: () => {}, users } });
    flushSync();
    click(byTestId(target, 'idp-choose'));
    await waitFor(() => expect(byTestId(target, 'idp-path').textContent).toBe('/home/admin/okta.csv'));
    type(byTestId(target, 'email-domain'), 'corp.example');
    type(byTestId(target, 'idp-email-column'), 'mail');
    click(byTestId(target, 'build'));
    await waitFor(() => expect(backend.buildChannel).toBeDefined());
    backend.finishBuild();
    await waitFor(() => byTestId(target, 'save'));
    click(byTestId(target, 'save'));
    await waitFor(() => byTestId(target, 'saved'));
    type(byTestId(target, 'signed-url'), 'https://storage.googleapis.com/b/o?X-Goog-Signature=ab');
    void unmount(first);
    flushSync();
    expect(target.textContent).toBe('');

    // Opened again: Rust still has the mapping; the screen has what was typed and saved.
    const handle = backend.handle;
    mockIPC((cmd, args) => (cmd === 'users_summary' ? backend.summary() : handle(cmd, args)));
    const root = render(UsersScreen, { onBack: () => {}, users });
    expect(byTestId(root, 'idp-path').textContent).toBe('/home/admin/okta.csv');
    expect(byTestId<HTMLInputElement>(root, 'email-domain').value).toBe('corp.example');
    expect(byTestId<HTMLInputElement>(root, 'idp-email-column').value).toBe('mail');
    await waitFor(() => expect(byTestId(root, 'saved').textContent).toContain('Saved 245 rows to'));
    expect(byTestId<HTMLInputElement>(root, 'signed-url').value).toContain('X-Goog-Signature');
    // A rebuild sends the kept sources, the domain rule included.
    click(byTestId(root, 'build'));
    await waitFor(() => expect(backend.last('users_build').request).toMatchObject({ idp: 1, email_domain: 'corp.example', idp_email_column: 'mail' }));
  });

  it('ends with Continue', async () => {
    mockIPC(new FakeBackend().handle);
    let continued = 0;
    const root = render(UsersScreen, { onBack: () => {}, onContinue: () => (continued += 1) });
    click(byTestId(root, 'continue-summary'));
    expect(continued).toBe(1);
  });

  it('asks once: not again in the window when the system dialog already asked', async () => {
    const backend = new FakeBackend();
    backend.dialogAsked = true;
    const root = await built(backend);
    click(byTestId(root, 'save'));
    await waitFor(() => expect(byTestId(root, 'saved').textContent).toContain('Saved 245 rows'));
    expect(root.querySelector('[data-testid="overwrite"]')).toBeNull();
    expect(backend.last('users_save')).toEqual({ file: 2, header: false, overwrite: true });
  });
});
