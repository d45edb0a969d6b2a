// Numbers measured in a QEMU guest carry how the guest's CPU ran (issue 14): `kvm` (the host's
// CPU, virtualised) or `tcg` (emulated instruction by instruction, many times slower). A TCG
// number compares with other numbers of the same guest, never with one measured on a host.
import type { RunHostRecord } from '../model';

export type Accel = 'kvm' | 'tcg';

/** The accelerator of the guest a run's server ran in, or null when it ran on a host. */
export function runAccel(hosts: readonly RunHostRecord[] | undefined): Accel | null {
  const server = (hosts ?? []).find((h) => h.kind === 'qemu' && h.roles.includes('server'));
  const accel = server?.environment?.extra?.accel;
  return accel === 'kvm' || accel === 'tcg' ? accel : null;
}

/** A series or column label with its accelerator: "saio-kmod [tcg]"; unchanged for host numbers. */
export function withAccel(label: string, accel: Accel | null): string {
  return accel ? `${label} [${accel}]` : label;
}

/** What a reader must know about numbers of this accelerator (null: nothing). */
export function accelNote(accel: Accel | null): string | null {
  if (accel === 'tcg') return 'measured in a QEMU guest under TCG (emulated CPU): compare with other numbers of this guest only, not with numbers measured on a host or under KVM';
  if (accel === 'kvm') return 'measured in a QEMU guest under KVM: virtualised, compare with care with numbers measured on a host';
  return null;
}
