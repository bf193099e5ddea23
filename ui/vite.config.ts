import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Tauri shell embeds `dist/` (see the root tauri.conf.json); there is no dev server URL in
// the config, so a debug build of the app always shows the last `npm run build`.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  // Svelte's client build (mount, effects) in Vitest, not its server build.
  resolve: mode === 'test' ? { conditions: ['browser'] } : undefined,
  clearScreen: false,
  build: {
    // WebKitGTK 2.38+ (Debian 12) and current WebView2/WKWebView all run ES2021.
    target: 'es2021',
    outDir: 'dist',
    emptyOutDir: true,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    // app.css is read as text by look.test.ts (its palette); other styles are not needed.
    css: { include: [/app\.css/] },
    restoreMocks: true,
  },
}));
