// Every protocol's runtime module, by kind.
import type { ProtocolKind } from '../common/protocols/catalog';
import { http } from './http';
import { memcached } from './memcached';
import { redis } from './redis';
import type { ProtocolModule } from './types';

const modules: Record<ProtocolKind, ProtocolModule> = { http, redis, memcached };

export function protocolModule(kind: ProtocolKind): ProtocolModule {
  return modules[kind];
}
