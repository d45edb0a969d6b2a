// Every load driver the lab can use.
import type { Driver } from './types';
import { wrkDriver } from './wrk/wrk';

const drivers: readonly Driver[] = [wrkDriver];

export const driverKinds: readonly string[] = drivers.map((d) => d.kind);

export function driverModule(kind: string): Driver {
  const d = drivers.find((x) => x.kind === kind);
  if (!d) throw new Error(`unknown driver "${kind}" (known: ${driverKinds.join(', ')})`);
  return d;
}
