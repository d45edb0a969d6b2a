// Every load driver the notebook format knows: its settings schema and what it can do. Pure;
// the runtime modules (command lines, parsers) are registered in registry.ts under the same kinds.
import { z } from 'zod';
import type { DriverInfo } from './catalog-types';
import { SaioLoadSettings, saioLoadInfo } from './saio-load/settings';
import { WrkSettings, wrkInfo } from './wrk/settings';

export type { CellIssue, DriverCellView, DriverInfo } from './catalog-types';

/** A cell's `driver`: `kind` picks the schema, so each driver validates only its own settings. */
export const DriverSettings = z.discriminatedUnion('kind', [WrkSettings, SaioLoadSettings]);
export type DriverSettings = z.infer<typeof DriverSettings>;

export const DRIVERS: readonly DriverInfo[] = [saioLoadInfo, wrkInfo];

export function driverInfo(kind: string): DriverInfo | undefined {
  return DRIVERS.find((d) => d.kind === kind);
}

/** Settings a form starts from when a cell's driver changes to `kind`. */
export function defaultDriverSettings(kind: string, threads = 1): DriverSettings {
  if (kind === 'wrk') return WrkSettings.parse({ kind, threads });
  return SaioLoadSettings.parse({ kind: 'saio-load', threads });
}
