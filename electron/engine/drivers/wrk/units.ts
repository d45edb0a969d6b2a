// Numbers as wrk's text report prints them (src/units.c): a decimal followed by a unit suffix.
// wrk rounds to 2 decimals of the chosen unit, so every value read back is approximate.

const TIME_US: Readonly<Record<string, number>> = { us: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 };
// Req/Sec and the like: SI steps of 1000, no suffix below 1k.
const METRIC: Readonly<Record<string, number>> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };
// Bytes: steps of 1024, printed as "<n><K|M|G|T|P>B" or "<n>B".
const BINARY: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

function scaled(text: string, pattern: RegExp, scales: Readonly<Record<string, number>>): number | undefined {
  const m = pattern.exec(text.trim());
  if (!m) return undefined;
  const scale = scales[m[2] ?? ''];
  return scale === undefined ? undefined : Number(m[1]) * scale;
}

// Drops the float noise of the scaling (0.89 * 1000 = 890.0000000000001): wrk prints at most
// 2 decimals, and the smallest unit it uses (us, or no suffix) is the result's unit.
function hundredths(x: number | undefined): number | undefined {
  return x === undefined ? undefined : Math.round(x * 100) / 100;
}

/** "635.91us", "0.89ms", "1.00s", "1.50m" → microseconds. */
export function timeToMicroseconds(text: string): number | undefined {
  return hundredths(scaled(text, /^(\d+(?:\.\d+)?)(us|ms|s|m|h)$/, TIME_US));
}

/** "9.11k", "838.78", "1.16k" → plain number. */
export function metricToNumber(text: string): number | undefined {
  return hundredths(scaled(text, /^(\d+(?:\.\d+)?)([kMGTP]?)$/, METRIC));
}

/** "30.08MB", "512.77KB", "3.08GB", "0.00B" → whole bytes. */
export function binaryToBytes(text: string): number | undefined {
  const bytes = scaled(text, /^(\d+(?:\.\d+)?)([KMGTP]?)B$/, BINARY);
  return bytes === undefined ? undefined : Math.round(bytes);
}

/** "94.66%" → 94.66; wrk prints "-nan%" when no latency was recorded → null. */
export function percentToNumber(text: string): number | null | undefined {
  const t = text.trim();
  if (/^-?nan%$/i.test(t)) return null;
  const m = /^(\d+(?:\.\d+)?)%$/.exec(t);
  return m ? Number(m[1]) : undefined;
}
