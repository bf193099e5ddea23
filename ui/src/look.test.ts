// The look's rules that can be checked without a browser: every color comes from the
// palette in app.css, the palette has a dark twin for each light color, focus is visible.
import { describe, expect, it } from 'vitest';
import css from './app.css?raw';

const components = import.meta.glob('./**/*.svelte', { query: '?raw', import: 'default', eager: true }) as Record<
  string,
  string
>;

/** The `--name: value` declarations of the first block opened by `opening` in `text`. */
function variables(text: string, opening: string): Map<string, string> {
  const start = text.indexOf(opening);
  expect(start, opening).toBeGreaterThanOrEqual(0);
  const block = text.slice(start, text.indexOf('}', start));
  return new Map([...block.matchAll(/(--[\w-]+):\s*([^;]+);/g)].map((m) => [m[1], m[2].trim()]));
}

describe('look', () => {
  it('uses no hard-coded color in a component', () => {
    expect(Object.keys(components).length).toBeGreaterThan(10);
    for (const [file, text] of Object.entries(components)) {
      const style = text.slice(text.indexOf('<style'));
      const markup = text.slice(0, text.indexOf('<style') === -1 ? text.length : text.indexOf('<style'));
      expect(style.match(/#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(/g), file).toBeNull();
      expect(markup.match(/style="[^"]*(color|background)/g), file).toBeNull();
    }
  });

  it('has a dark palette for every light color, and colors only from the palette outside it', () => {
    const light = variables(css, ':root {');
    const dark = variables(css, '@media (prefers-color-scheme: dark) {');
    expect(light.size).toBeGreaterThan(20);
    for (const name of light.keys()) expect(dark.has(name), `${name} in the dark palette`).toBe(true);
    const changed = [...dark].filter(([name, value]) => light.get(name) !== value);
    expect(changed.length).toBeGreaterThan(20);
    const rules = css.slice(css.indexOf('* {'));
    expect(rules.match(/#[0-9a-fA-F]{3,8}\b/g)).toBeNull();
  });

  it('shows where the keyboard is', () => {
    expect(css).toMatch(/:focus-visible\s*{\s*outline: 2px solid var\(--focus\)/);
    expect(css).toContain('color-scheme: light dark');
  });
});
