import { mount } from 'svelte';
import App from './App.svelte';
import { firstPaint } from './lib/api';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target });

// The frame after the first one runs once the first was painted: tell the shell (the
// benchmark of `cargo xtask bench-dist` measures cold start to this).
requestAnimationFrame(() => requestAnimationFrame(() => void firstPaint().catch(() => {})));
