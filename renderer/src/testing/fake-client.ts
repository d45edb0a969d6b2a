// A LabClient for unit tests: handlers per method, a record of every call, events pushed by hand.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Input, LabClient, LabEvent, Method, Outputs, Result } from '../../../electron/api/contract';
import type { Notebook } from '../../../electron/engine/common/notebook/schema';
import { setLab } from '../lab/client';

export type Handler<M extends Method> = (input: Input<M>) => Outputs[M] | Promise<Outputs[M]> | { error: { code: 'invalid_notebook' | 'not_found' | 'internal'; message: string } };

export interface Fake extends LabClient {
  calls: { method: Method; input: unknown }[];
  on<M extends Method>(method: M, h: Handler<M>): void;
  emit(e: LabEvent): void;
}

export function installFake(): Fake {
  const handlers = new Map<Method, Handler<Method>>();
  const listeners = new Set<(e: LabEvent) => void>();
  const fake: Fake = {
    calls: [],
    on(method, h) {
      handlers.set(method, h as unknown as Handler<Method>);
    },
    emit(e) {
      for (const l of listeners) l(e);
    },
    async call<M extends Method>(method: M, input: Input<M>): Promise<Result<M>> {
      fake.calls.push({ method, input });
      const h = handlers.get(method);
      if (!h) return { ok: false, error: { code: 'internal', message: `no fake for ${method}` } };
      const v = (await h(input as never)) as unknown;
      if (v && typeof v === 'object' && Object.keys(v).length === 1 && 'error' in (v as object)) return { ok: false, error: (v as { error: never }).error };
      return { ok: true, value: v as Outputs[M] };
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  setLab(fake);
  return fake;
}

export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'experiments', 'quickstart.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export function quickstart(): Notebook {
  return JSON.parse(readFileSync(path.join(repoRoot(), 'experiments', 'quickstart.json'), 'utf8')) as Notebook;
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
