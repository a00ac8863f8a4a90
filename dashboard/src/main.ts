/**
 * The page's entry: reads `config.json` (the API and WebSocket URLs of this deployment), then shows
 * the dashboard for the session this tab holds, or the sign-in form.
 */
import './styles.css';
import { StatsApi } from './api.js';
import { byId } from './dom.js';
import { LiveDashboard } from './live-dashboard.js';
import { type Session, SessionStore, sessionFromGrant } from './session.js';
import { keyProblem, signInFailure } from './sign-in.js';
import type { DashboardConfig } from './types.js';

const sessions = new SessionStore(window.sessionStorage);

async function loadConfig(): Promise<DashboardConfig> {
  const response = await fetch('./config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = (await response.json()) as Partial<DashboardConfig>;
  if (typeof config.apiBaseUrl !== 'string' || typeof config.websocketUrl !== 'string') {
    throw new Error('config.json must name apiBaseUrl and websocketUrl');
  }
  return { apiBaseUrl: config.apiBaseUrl.replace(/\/$/, ''), websocketUrl: config.websocketUrl };
}

function showSignIn(api: StatsApi | undefined, config: DashboardConfig | undefined, message?: string): void {
  byId('dashboard').hidden = true;
  byId('account').hidden = true;
  byId('sign-out').hidden = true;
  byId('sign-in').hidden = false;
  const error = byId('sign-in-error');
  error.hidden = !message;
  error.textContent = message ?? '';
  const button = byId<HTMLButtonElement>('sign-in-button');
  button.disabled = !api;
  const input = byId<HTMLInputElement>('read-key');
  if (api && config) input.focus();
  const form = byId<HTMLFormElement>('sign-in-form');
  form.onsubmit = async (submit) => {
    submit.preventDefault();
    if (!api || !config) return;
    const readKey = input.value.trim();
    if (!readKey) return;
    const problem = keyProblem(readKey);
    if (problem) {
      error.hidden = false;
      error.textContent = problem;
      input.value = '';
      return;
    }
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      const session = sessionFromGrant(await api.signIn(readKey));
      sessions.save(session);
      showDashboard(api, config, session);
    } catch (caught) {
      error.hidden = false;
      error.textContent = signInFailure(caught);
    } finally {
      // The key is gone from the page as soon as it has been used, whatever the answer.
      input.value = '';
      button.disabled = false;
      button.textContent = 'Sign in';
    }
  };
}

function showDashboard(api: StatsApi, config: DashboardConfig, session: Session): void {
  byId('sign-in').hidden = true;
  byId('dashboard').hidden = false;
  byId('account').hidden = false;
  const signOut = byId<HTMLButtonElement>('sign-out');
  signOut.hidden = false;
  const dashboard = new LiveDashboard(config, api, session, sessions, (message) => {
    sessions.clear();
    showSignIn(api, config, message);
  });
  signOut.onclick = () => {
    dashboard.stop();
    sessions.clear();
    showSignIn(api, config);
  };
  dashboard.start();
}

async function main(): Promise<void> {
  let config: DashboardConfig;
  try {
    config = await loadConfig();
  } catch {
    showSignIn(undefined, undefined, 'This page could not read its configuration (config.json).');
    return;
  }
  const api = new StatsApi(config.apiBaseUrl);
  const session = sessions.load();
  if (session) showDashboard(api, config, session);
  else showSignIn(api, config);
}

void main();
