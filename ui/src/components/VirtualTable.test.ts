import { createRawSnippet, flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import { byTestId, render } from '../test/dom';
import VirtualTable from './VirtualTable.svelte';

const row = createRawSnippet((item: () => string, index: () => number) => ({
  render: () => `<span class="cell">${index()}:${item()}</span>`,
}));
const placeholder = createRawSnippet((index: () => number) => ({
  render: () => `<span class="loading">${index()}…</span>`,
}));
const header = createRawSnippet(() => ({ render: () => '<span>Heading</span>' }));

function mount(total: number, loaded: (i: number) => boolean, ranges: [number, number][] = []) {
  return render(VirtualTable<string>, {
    total,
    rowHeight: 20,
    height: 100,
    overscan: 2,
    rowAt: (i: number) => (loaded(i) ? `row${i}` : undefined),
    onRange: (start: number, end: number) => ranges.push([start, end]),
    row,
    placeholder,
    header,
    label: 'People',
  });
}

function scroll(root: HTMLElement, top: number) {
  const viewport = byTestId(root, 'viewport');
  viewport.scrollTop = top;
  viewport.dispatchEvent(new Event('scroll'));
  flushSync();
}

describe('VirtualTable', () => {
  it('keeps only the rows in view, plus the overscan, in the DOM', () => {
    const ranges: [number, number][] = [];
    const root = mount(100_000, () => true, ranges);
    const rows = () => [...root.querySelectorAll<HTMLElement>('[role="row"]')].map((r) => r.dataset.index);
    // 100 px at 20 px a row: 5 rows, and 2 below.
    expect(rows()).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(ranges[ranges.length - 1]).toEqual([0, 7]);

    scroll(root, 20 * 50_000);
    expect(rows()).toEqual(['49998', '49999', '50000', '50001', '50002', '50003', '50004', '50005', '50006']);
    expect(ranges[ranges.length - 1]).toEqual([49_998, 50_007]);
    expect(root.textContent).toContain('50000:row50000');
  });

  it('places each row at its offset and sizes the scroll area for all of them', () => {
    const root = mount(1_000, () => true);
    scroll(root, 200);
    const spacer = byTestId(root, 'viewport').firstElementChild as HTMLElement;
    expect(spacer.style.height).toBe('20000px');
    const first = root.querySelector<HTMLElement>('[data-index="8"]');
    expect(first?.style.transform).toBe('translateY(160px)');
    expect(first?.getAttribute('aria-rowindex')).toBe('9');
  });

  it('shows a placeholder for rows not loaded yet, and stops at the last row', () => {
    const root = mount(3, (i) => i !== 1);
    expect(root.querySelectorAll('[role="row"]')).toHaveLength(3);
    expect(root.querySelector('[data-index="1"]')?.textContent).toBe('1…');
    expect(root.querySelector('[data-index="2"]')?.textContent).toBe('2:row2');
  });
});
