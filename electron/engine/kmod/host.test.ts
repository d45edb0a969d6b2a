import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cannotLoadModules, hostFacts, type HostFacts } from './host';

const able: HostFacts = { kernel: '7.3.0-1-stand-in', uid: 0, moduleSupport: true, modulesDisabled: false, lockdown: 'none', headers: '/lib/modules/7.3.0-1-stand-in/build' };

test('a host that can load modules has nothing to say', () => {
  assert.equal(cannotLoadModules(able), null);
});

test('each reason a host cannot load saio.ko is named with what to do', () => {
  assert.match(cannotLoadModules({ ...able, moduleSupport: false, headers: null }) ?? '', /^kernel 7\.3\.0-1-stand-in has no loadable-module support \(\/proc\/modules is missing\)/);
  assert.match(cannotLoadModules({ ...able, modulesDisabled: true }) ?? '', /modules_disabled = 1/);
  assert.match(cannotLoadModules({ ...able, lockdown: 'integrity' }) ?? '', /locked down \(integrity\): unsigned modules are refused/);
  assert.match(cannotLoadModules({ ...able, uid: 1000 }) ?? '', /needs root/);
  assert.match(cannotLoadModules({ ...able, headers: null }) ?? '', /install linux-headers-7\.3\.0-1-stand-in/);
  const all = cannotLoadModules({ ...able, uid: 1000, lockdown: 'confidentiality', modulesDisabled: true }) ?? '';
  assert.equal(all.split('; ').length, 3);
});

test('the facts are read from this host', () => {
  const f = hostFacts();
  assert.equal(typeof f.moduleSupport, 'boolean');
  assert.ok(f.kernel.length > 0);
  // This machine's kernel has no module support; on one that has, the check must agree with /proc.
  assert.equal(cannotLoadModules(f) === null, f.moduleSupport && !f.modulesDisabled && f.uid === 0 && f.headers !== null && f.lockdown !== 'integrity' && f.lockdown !== 'confidentiality');
});
