// Session tokens. Kept in localStorage so a reload stays signed in; the
// access token is short-lived and the refresh token rotates on each use.
import type { TokenPair } from './types';

const KEY = 'qv.session';

export interface Session {
  access: string;
  refresh: string;
}

export function loadSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    return s && typeof s.access === 'string' && typeof s.refresh === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(t: TokenPair | null): Session | null {
  if (!t) {
    localStorage.removeItem(KEY);
    return null;
  }
  const s = { access: t.access_token, refresh: t.refresh_token };
  localStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

// Programs submitted from this browser, by job id: the Job API does not
// return the source, and the job page draws the circuit and offers re-run.
const PROGRAMS = 'qv.programs';
const MAX_PROGRAMS = 200;

export function rememberProgram(jobId: string, source: string, shots: number, backend: string): void {
  try {
    const all = JSON.parse(localStorage.getItem(PROGRAMS) ?? '{}') as Record<string, unknown>;
    all[jobId] = { source, shots, backend, at: Date.now() };
    const keys = Object.keys(all);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_PROGRAMS))) delete all[k];
    localStorage.setItem(PROGRAMS, JSON.stringify(all));
  } catch {
    /* storage full or disabled: re-run is then unavailable */
  }
}

export function recallProgram(jobId: string): { source: string; shots: number; backend: string } | null {
  try {
    const all = JSON.parse(localStorage.getItem(PROGRAMS) ?? '{}');
    return all[jobId] ?? null;
  } catch {
    return null;
  }
}
