// The registry against the catalog the renderer reads: one module per name, both ways.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseline } from './baseline';
import { backendModule, backendNames, catalogMismatch } from './registry';
import { saioUring } from './saio';

test('every catalogued backend has its module, under its own name', () => {
  for (const name of backendNames) assert.equal(backendModule(name).name, name);
  assert.throws(() => backendModule('turbo'), /unknown backend "turbo" \(known: baseline, saio-sync, saio-uring, saio-uring-fold, saio-kmod\)/);
});

test('a catalog and a module list that differ are named, both ways', () => {
  assert.deepEqual(catalogMismatch([baseline, saioUring], ['baseline', 'saio-uring']), []);
  assert.deepEqual(catalogMismatch([baseline], ['baseline', 'saio-uring']), ['"saio-uring" has no module']);
  assert.deepEqual(catalogMismatch([baseline, saioUring], ['baseline']), ['module "saio-uring" is not in the catalog']);
});
