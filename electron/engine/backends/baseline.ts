// The server exactly as shipped: no preload, no environment changes.
import type { BackendModule } from './types';

export const baseline: BackendModule = {
  name: 'baseline',
  unavailable: () => null,
  wrap: (launch) => launch,
  artifacts: () => [],
};
