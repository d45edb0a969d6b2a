// Whether a point's numbers can be trusted to be about correct responses: the load generator's
// own checks (every response it compared, in whichever invocation compared them), the protocol's
// errors it counted, and the protocol's check through the server after the load. Pure.
import type { AfterCheck, LoadResult, VerificationRecord } from '../model';

/**
 * Error kinds that are wrong answers, not socket trouble: a non-2xx status (wrk), an error reply
 * (saio-load's `server`), a reply that broke the protocol (saio-load's `parse`).
 */
export const BAD_RESPONSE_KINDS = ['status', 'server', 'parse'] as const;

export function badResponses(r: LoadResult): number {
  return BAD_RESPONSE_KINDS.reduce((n, k) => n + (r.errors[k] ?? 0), 0);
}

export function socketErrors(r: LoadResult): number {
  return Object.entries(r.errors).reduce((n, [k, v]) => n + ((BAD_RESPONSE_KINDS as readonly string[]).includes(k) ? 0 : v), 0);
}

export interface Verdict {
  verified: boolean;
  verification: VerificationRecord;
  /** What failed, for the point's reason (empty when verified). */
  why: string[];
  /** Socket errors of the measured phase plus every wrong response. */
  errors: number;
}

/**
 * What opening the measured phase's connections costs, when the generator opens them anew in
 * that phase (wrk: each invocation connects again) over TLS: every connection starts with a full
 * handshake (the server's session cache and tickets are off), and the server's workers answer
 * them one at a time each. `handshake_ms`: one handshake, timed by the lab just before the load
 * (from the lab's machine: a lower bound when the generator's own crypto is slower, as in a guest).
 */
export interface ConnectionSetup {
  connections: number;
  workers: number;
  handshake_ms: number;
  window_s: number;
}

/** Seconds of the measured window the handshakes alone take (connections / workers, one after another). */
export function handshakeSeconds(s: ConnectionSetup): number {
  return (Math.ceil(s.connections / Math.max(1, s.workers)) * s.handshake_ms) / 1000;
}

/** Above this share of the window, requests/s is said to count the handshakes. */
export const HANDSHAKE_SHARE_WARN = 0.25;

function setupText(s: ConnectionSetup): string {
  return `the generator opened its ${s.connections} connections anew for the ${s.window_s} s window, each a full TLS handshake; one took ${Math.round(s.handshake_ms)} ms from the lab just before (the server's share: the generator's own crypto adds to it), so the handshakes alone need at least ${handshakeSeconds(s).toFixed(1)} s (${s.connections} on ${s.workers} server worker${s.workers === 1 ? '' : 's'}, one at a time)`;
}

/** A warning when the handshakes take a large share of the measured window (null otherwise). */
export function setupWarning(s: ConnectionSetup | undefined): string | null {
  if (!s) return null;
  const share = handshakeSeconds(s) / s.window_s;
  if (share < HANDSHAKE_SHARE_WARN) return null;
  return `TLS handshakes take at least ${Math.round(100 * share)}% of the measured window: ${setupText(s)}; requests/s counts them (lengthen duration_s or lower connections to measure serving)`;
}

/**
 * `checked`: the results of every invocation of the point (warm-up ones included: they ran on
 * the same server under the same load); `measured`: the one whose numbers the point reports.
 */
export function verdict(protocol: string, checked: readonly LoadResult[], measured: LoadResult, after: AfterCheck, setup?: ConnectionSetup): Verdict {
  const mismatched = checked.reduce((n, r) => n + r.mismatched, 0);
  const responses = checked.reduce((n, r) => n + (r.verified ?? 0), 0) + mismatched;
  const bad = checked.reduce((n, r) => n + badResponses(r), 0);
  const socket = socketErrors(measured);
  const why: string[] = [];
  if (!after.ok) why.push(`${after.check}: expected ${after.expected}, found ${after.found ?? '(no answer)'}`);
  // A measured window with nothing completed fails even when a warm-up checked right responses:
  // its requests/s of 0 is a stall of the server or of the machine, not a result.
  if (measured.requests === 0) {
    const cause =
      measured.offered_per_s !== null
        ? ` (offered ${Math.round(measured.offered_per_s)}/s: the load was not achieved)`
        : setup
          ? ` (${setupText(setup)}${handshakeSeconds(setup) >= HANDSHAKE_SHARE_WARN * setup.window_s ? ': lengthen duration_s or lower connections' : ''})`
          : '';
    why.push(`no request completed in the measured window${cause}`);
  } else if (responses === 0) {
    why.push('no response was checked under load');
  }
  if (mismatched > 0) {
    const kinds = Object.entries(
      checked.reduce<Record<string, number>>((acc, r) => {
        for (const [k, v] of Object.entries(r.mismatches)) acc[k] = (acc[k] ?? 0) + v;
        return acc;
      }, {}),
    ).filter(([, v]) => v > 0);
    why.push(`${mismatched} of ${responses} checked responses were wrong${kinds.length ? ` (${kinds.map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}`);
  }
  if (bad > 0) why.push(`${bad} responses were protocol errors (${protocol === 'http' ? 'not 2xx' : 'error replies'})`);
  return {
    verified: why.length === 0,
    verification: { protocol, responses_checked: responses, responses_mismatched: mismatched, bad_responses: bad, socket_errors: socket, after },
    why,
    errors: socket + bad + mismatched,
  };
}
