// Every load driver's runtime module, by kind (what a notebook may say about each: catalog.ts).
import { saioLoadDriver } from './saio-load/saio-load';
import type { Driver } from './types';
import { wrkDriver } from './wrk/wrk';

const drivers: readonly Driver[] = [saioLoadDriver, wrkDriver];

export const driverKinds: readonly string[] = drivers.map((d) => d.kind);

export function driverModule(kind: string): Driver {
  const d = drivers.find((x) => x.kind === kind);
  if (!d) throw new Error(`unknown driver "${kind}" (known: ${driverKinds.join(', ')})`);
  return d;
}
