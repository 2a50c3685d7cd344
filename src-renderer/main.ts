import { mount } from 'svelte';
import App from './App.svelte';
import MissingToken from './components/MissingToken.svelte';
import { pageToken } from './lib/session-token.ts';
import { bridge } from './lib/transport.ts';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

// In server mode this also takes the token out of the address bar, before anything else runs.
const connectable = bridge() !== undefined || pageToken() !== null;

export default connectable ? mount(App, { target }) : mount(MissingToken, { target });
