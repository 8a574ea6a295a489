// Live job events over the WebSocket `/api/v1/events?access_token=...`.
// Reconnects with backoff; a new access token (after a refresh) reconnects.
import { useEffect, useRef, useState } from 'react';
import { useAppSelector } from '../store';

export interface JobEvent {
  type: string;
  job_id: string;
  status: string;
  at?: string;
  message?: string;
}

export type Connection = 'connecting' | 'live' | 'offline';

export function eventsUrl(token: string): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}/api/v1/events?access_token=${encodeURIComponent(token)}`;
}

export function useJobEvents(onEvent: (e: JobEvent) => void): Connection {
  const token = useAppSelector((s) => s.auth.session?.access);
  const [state, setState] = useState<Connection>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;

  useEffect(() => {
    if (!token) return;
    let ws: WebSocket | null = null;
    let closed = false;
    let retry = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      setState('connecting');
      ws = new WebSocket(eventsUrl(token));
      ws.onopen = () => {
        retry = 0;
        setState('live');
      };
      ws.onmessage = (m) => {
        try {
          const e = JSON.parse(String(m.data)) as JobEvent;
          if (e && e.type === 'job') handler.current(e);
        } catch {
          /* not an event */
        }
      };
      ws.onclose = () => {
        if (closed) return;
        setState('offline');
        timer = setTimeout(connect, Math.min(30_000, 1000 * 2 ** retry++));
      };
    };
    connect();
    return () => {
      closed = true;
      clearTimeout(timer);
      ws?.close();
    };
  }, [token]);
  return state;
}
