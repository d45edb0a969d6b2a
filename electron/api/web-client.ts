// The browser side of web mode: LabClient over fetch (POST /api/<method>) and EventSource
// (GET /api/events). No Node modules: the renderer bundles this file. In a page opened from the
// URL `saio-lab serve` printed, the access token travels as a cookie and nothing needs to be
// passed; scripts and tests outside a browser pass `token` (sent as a header).
import type { Input, LabClient, LabEvent, Method, Result } from './contract';

/** The part of EventSource this client uses (the DOM type is not in the engine's libs). */
export interface EventSourceLike {
  onmessage: ((e: { data: string }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  close(): void;
}
export type EventSourceFactory = (url: string) => EventSourceLike;

type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; credentials: 'same-origin' },
) => Promise<{
  status: number;
  text(): Promise<string>;
}>;

export interface WebClientOptions {
  /** Default: the page's own origin ('' = relative URLs). */
  baseUrl?: string;
  /** Only outside a browser page (the page has the cookie). */
  token?: string;
  fetch?: FetchLike;
  eventSource?: EventSourceFactory;
}

const TOKEN_HEADER = 'X-SAIO-Lab-Token';

export function createWebClient(o: WebClientOptions = {}): LabClient {
  const base = (o.baseUrl ?? '').replace(/\/$/, '');
  const g = globalThis as unknown as { fetch?: FetchLike; EventSource?: new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike };
  const doFetch: FetchLike | undefined = o.fetch ?? (g.fetch ? (g.fetch.bind(globalThis) as FetchLike) : undefined);
  const makeSource: EventSourceFactory | undefined = o.eventSource ?? (g.EventSource ? (url) => new g.EventSource!(url) : undefined);

  const listeners = new Set<(e: LabEvent) => void>();
  let source: EventSourceLike | null = null;
  const connect = () => {
    if (source || !makeSource) return;
    // EventSource sends the cookie; it reconnects by itself after errors (retry: 2000).
    const url = `${base}/api/events${o.token ? `?token=${encodeURIComponent(o.token)}` : ''}`;
    source = makeSource(url);
    source.onmessage = (m) => {
      let e: LabEvent;
      try {
        e = JSON.parse(m.data) as LabEvent;
      } catch {
        return;
      }
      for (const l of [...listeners]) l(e);
    };
  };

  return {
    async call<M extends Method>(method: M, input: Input<M>): Promise<Result<M>> {
      if (!doFetch) return { ok: false, error: { code: 'internal', message: 'no fetch in this environment' } };
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (o.token) headers[TOKEN_HEADER] = o.token;
      let status: number;
      let text: string;
      try {
        const res = await doFetch(`${base}/api/${method}`, { method: 'POST', headers, body: JSON.stringify(input ?? {}), credentials: 'same-origin' });
        status = res.status;
        text = await res.text();
      } catch (e) {
        return { ok: false, error: { code: 'internal', message: `the lab is not reachable: ${(e as Error)?.message ?? String(e)}` } };
      }
      try {
        const parsed = JSON.parse(text) as Result<M>;
        if (parsed && typeof parsed === 'object' && typeof parsed.ok === 'boolean') return parsed;
      } catch {
        // not JSON: a transport error page
      }
      const message = status === 401 ? 'not authorised: open the lab from the URL `saio-lab serve` printed' : `HTTP ${status}: ${text.trim().slice(0, 200)}`;
      return { ok: false, error: { code: 'internal', message } };
    },

    subscribe(listener: (e: LabEvent) => void): () => void {
      listeners.add(listener);
      connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && source) {
          source.close();
          source = null;
        }
      };
    },
  };
}
