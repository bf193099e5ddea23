import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { byTestId, render, waitFor } from '../../test/dom';
import { APP_INFO, DEMO_INFO } from '../../test/fixtures';
import { UsersStep } from '../../lib/wizard.svelte';
import UploadPanel from './UploadPanel.svelte';

/** Step 4 with a saved CSV, as the panel is shown. */
function savedStep(): UsersStep {
  const users = new UsersStep();
  users.saved = { path: '/tmp/users.csv', rows: 3, bytes: 60 };
  return users;
}

afterEach(() => clearMocks());

const SIGNED = 'http://127.0.0.1:4443/crawler/gitlab/users.csv?X-Goog-Date=20261130T000000Z&X-Goog-Expires=604800';

describe('Upload panel', () => {
  it("starts with the demo's signed URL when the demo has one", async () => {
    mockIPC((cmd) => {
      if (cmd === 'app_info') return { ...DEMO_INFO, demo: { ...DEMO_INFO.demo!, signed_url: SIGNED } };
      throw new Error(`unexpected command ${cmd}`);
    });
    const root = render(UploadPanel, { users: savedStep() });
    await waitFor(() => expect(byTestId<HTMLInputElement>(root, 'signed-url').value).toBe(SIGNED));
  });

  it('starts empty outside the demo', async () => {
    let asked = false;
    mockIPC((cmd) => {
      if (cmd === 'app_info') {
        asked = true;
        return APP_INFO;
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    const root = render(UploadPanel, { users: savedStep() });
    await waitFor(() => expect(asked).toBe(true));
    await new Promise((r) => setTimeout(r, 20));
    expect(byTestId<HTMLInputElement>(root, 'signed-url').value).toBe('');
  });
});
