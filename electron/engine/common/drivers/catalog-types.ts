// What the notebook format knows about a load driver without running it. Pure.
import type { ProtocolKind, ProtocolSettings } from '../protocols/catalog';

/** The parts of an experiment cell a driver's rules read. */
export interface DriverCellView {
  driver: { threads: number };
  protocol: ProtocolSettings;
  sweep: { connections: readonly number[] };
  duration_s: number;
  warmup_s: number;
  quick?: { duration_s: number; warmup_s: number } | undefined;
}

/** A problem at a path relative to the cell; the message says what is expected ("a multiple of …"). */
export interface CellIssue {
  path: (string | number)[];
  message: string;
}

export interface DriverInfo {
  kind: string;
  /** Protocols it can load and check; a cell whose server speaks another is refused. */
  protocols: readonly ProtocolKind[];
  /** Can offer load at a fixed rate (a `rate` sweep); otherwise closed loop only. */
  openLoop: boolean;
  /** One line for forms and reports. */
  summary: string;
  /** This driver's own rules for a cell that uses it. */
  rules(cell: DriverCellView): CellIssue[];
}
