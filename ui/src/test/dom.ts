// Small helpers to mount a Svelte component in jsdom and drive it like a user.
import { flushSync, mount, unmount, type Component } from 'svelte';
import { afterEach } from 'vitest';

const mounted: Record<string, unknown>[] = [];

afterEach(() => {
  for (const instance of mounted.splice(0)) void unmount(instance);
  document.body.innerHTML = '';
});

/** Mounts `component` with `props` into a fresh element and returns that element. */
export function render<P extends Record<string, unknown>, E extends Record<string, unknown> = Record<string, never>>(
  component: Component<P, E>,
  props: P,
): HTMLElement {
  const target = document.body.appendChild(document.createElement('div'));
  mounted.push(mount(component, { target, props }));
  flushSync();
  return target;
}

/** The element with `data-testid`, or a failure naming it. */
export function byTestId<T extends HTMLElement = HTMLElement>(root: ParentNode, id: string): T {
  const el = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element with data-testid="${id}"`);
  return el;
}

/** Types into an input as a user would (one `input` event). */
export function type(input: HTMLInputElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}

/** Retries `check` until it stops throwing (promises and effects settle), up to ~1 s. */
export async function waitFor<T>(check: () => T): Promise<T> {
  let last: unknown;
  for (let i = 0; i < 100; i++) {
    try {
      return check();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 10));
      flushSync();
    }
  }
  throw last;
}

/** Clicks as a user would and lets Svelte update the page. */
export function click(el: HTMLElement): void {
  el.click();
  flushSync();
}
