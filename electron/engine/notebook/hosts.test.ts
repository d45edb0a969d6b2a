// The notebook's hosts and each cell's placement: what is accepted, and what is refused with its
// path and a message that says what to write instead.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorsOf, quickstart, shippedNotebook } from './fixture';
import { validateNotebook } from './validate';

const twoHosts = () => shippedNotebook('two-hosts');
const expIndex = (nb: { cells: { type: string }[] }) => nb.cells.findIndex((c) => c.type === 'experiment');

test('two-hosts.json: its hosts and the cell placement are read as given; a notebook without hosts places everything on local', () => {
  const v = validateNotebook(twoHosts());
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  assert.deepEqual(v.notebook.hosts?.srv, { ssh: 'saio-srv', ssh_config: '/run/saio-netns-hosts/ssh_config' });
  const exp = v.notebook.cells.find((c) => c.type === 'experiment');
  assert.ok(exp?.type === 'experiment');
  assert.equal(exp.server_host, 'srv');
  assert.deepEqual(exp.driver_hosts, ['gen1']);
  const q = validateNotebook(quickstart());
  assert.ok(q.ok);
  assert.equal(q.notebook.hosts, undefined);
  const qe = q.notebook.cells.find((c) => c.type === 'experiment');
  assert.ok(qe?.type === 'experiment' && qe.server_host === undefined && qe.driver_hosts === undefined);
});

test('string hosts in every ssh form are accepted, and "local" may be named by a cell without being declared', () => {
  const nb = quickstart();
  nb.hosts = { srv: 'ssh://lab@10.9.0.2', gen1: 'lab@10.9.0.3:2222', gen2: 'loadbox' };
  const i = expIndex(nb);
  nb.cells[i].server_host = 'local';
  nb.cells[i].driver_hosts = ['gen2'];
  const v = validateNotebook(nb);
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
});

test('a cell naming a host the notebook does not declare is refused at its path, listing the hosts there are', () => {
  const nb = twoHosts();
  const i = expIndex(nb);
  nb.cells[i].server_host = 'srv2';
  nb.cells[i].driver_hosts = ['gen9'];
  const errors = errorsOf(nb);
  assert.deepEqual(
    errors.map((e) => e.path),
    [`cells[${i}].server_host`, `cells[${i}].driver_hosts[0]`],
  );
  assert.match(errors[0]?.message ?? '', /a host of the notebook's "hosts" \("local", "srv", "gen1"\), found "srv2"/);
});

test('bad host entries: "local" declared, a destination ssh could read as an option or shell text, a bad address, an unknown field', () => {
  const nb = twoHosts();
  nb.hosts = {
    local: 'root@10.0.0.1',
    a: '-oProxyCommand=touch /tmp/x',
    b: 'root@host; rm -rf /',
    c: { ssh: 'saio-srv', address: '10.213.0.300' },
    d: { ssh: 'saio-srv', ssh_config: 'relative/ssh_config' },
    e: { ssh: 'saio-srv', user: 'root' },
    srv: 'saio-srv',
    gen1: 'saio-gen1',
  };
  const errors = errorsOf(nb);
  const at = (p: string) => errors.filter((e) => e.path === p);
  assert.equal(at('hosts.local').length, 1, JSON.stringify(errors));
  assert.match(at('hosts.local')[0]?.message ?? '', /no host named "local": it is this machine/);
  for (const p of ['hosts.a', 'hosts.b', 'hosts.c', 'hosts.d', 'hosts.e'])
    assert.ok(
      errors.some((e) => e.path.startsWith(p)),
      `${p}: ${JSON.stringify(errors)}`,
    );
});

test('several load hosts are accepted; a duplicate, an unknown host, wrk, fewer connections or keys than the split needs are refused at their path; saio-kmod with the server elsewhere too', () => {
  const ok = twoHosts();
  const k = expIndex(ok);
  ok.hosts.gen2 = 'saio-gen2';
  ok.cells[k].driver_hosts = ['gen1', 'gen2', 'local'];
  const v = validateNotebook(ok);
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));

  const nb = twoHosts();
  const i = expIndex(nb);
  nb.hosts.gen2 = 'saio-gen2';
  nb.cells[i].driver_hosts = ['gen1', 'gen2', 'gen1', 'gen7'];
  nb.cells[i].sweep.connections = [3, 100];
  nb.cells[i].backends = ['baseline', 'saio-kmod'];
  const errors = errorsOf(nb);
  const at = (path: string) => errors.filter((e) => e.path === `cells[${i}].${path}`).map((e) => e.message);
  assert.match(at('driver_hosts[2]').join('|'), /each load host once \("gen1" is already driver_hosts\[0\]\)/);
  assert.match(at('driver_hosts[3]').join('|'), /a host of the notebook's "hosts" \("local", "srv", "gen1", "gen2"\), found "gen7"/);
  assert.match(at('sweep.connections').join('|'), /at least 4 connections \(one per load host of driver_hosts\), found 3/);
  assert.match(at('backends').join('|'), /no "saio-kmod" with the server on "srv"/);

  const wrk = twoHosts();
  wrk.hosts.gen2 = 'saio-gen2';
  wrk.cells[i].driver_hosts = ['gen1', 'gen2'];
  wrk.cells[i].driver = { kind: 'wrk', threads: 1 };
  assert.ok(
    errorsOf(wrk).some((e) => e.path === `cells[${i}].driver_hosts` && /several load hosts need driver "saio-load"/.test(e.message)),
    JSON.stringify(errorsOf(wrk)),
  );

  const kv = twoHosts();
  kv.hosts.gen2 = 'saio-gen2';
  kv.cells[i].driver_hosts = ['gen1', 'gen2'];
  kv.cells[i].server = { kind: 'redis', workers: 1, extra_config: '' };
  kv.cells[i].protocol = { kind: 'redis', keys: 50 };
  assert.ok(
    errorsOf(kv).some((e) => e.path === `cells[${i}].protocol.keys` && /at least 100 keys/.test(e.message)),
    JSON.stringify(errorsOf(kv)),
  );
});

const guestNotebook = () => shippedNotebook('saio-kmod-guest');

test('a QEMU guest host: saio-kmod-guest.json is read with its guest, defaults filled in; saio-kmod may run there', () => {
  const v = validateNotebook(guestNotebook());
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  assert.deepEqual(v.notebook.hosts?.guest, { kind: 'qemu', cpus: 2, memory_mb: 2048, kernel: 'debian', accel: 'auto' });
  const cells = v.notebook.cells.filter((c) => c.type === 'experiment');
  assert.deepEqual(
    cells.map((c) => c.type === 'experiment' && [c.server_host, c.driver_hosts, c.backends.includes('saio-kmod')]),
    [
      ['guest', ['guest'], true],
      ['guest', ['guest'], true],
    ],
  );
  const nb = guestNotebook();
  nb.hosts.guest = { kind: 'qemu' };
  const d = validateNotebook(nb);
  assert.ok(d.ok);
  assert.deepEqual(d.notebook.hosts?.guest, { kind: 'qemu', cpus: 2, memory_mb: 2048, kernel: 'debian', accel: 'auto' });
  nb.hosts.guest = { kind: 'qemu', kernel: '/boot/vmlinuz-6.1.0-lab-test', accel: 'tcg', cpus: 1, memory_mb: 512 };
  assert.ok(validateNotebook(nb).ok);
});

test('a QEMU guest host: bad sizes, kernels and fields are refused at their path; a guest holds a cell wholly (server and load) or not at all', () => {
  const bad = guestNotebook();
  bad.hosts.guest = { kind: 'qemu', cpus: 0, memory_mb: 64, kernel: 'vmlinuz; rm -rf /', accel: 'fast', disk: 'x' };
  const errors = errorsOf(bad);
  assert.ok(
    errors.some((e) => e.path.startsWith('hosts.guest')),
    JSON.stringify(errors),
  );
  assert.ok(
    errors.some((e) => /"debian" or a kernel image \/boot\/vmlinuz-VERSION|kind/.test(e.message)),
    JSON.stringify(errors),
  );

  const i = expIndex(guestNotebook());
  const split = guestNotebook();
  split.cells[i].driver_hosts = ['local'];
  const e1 = errorsOf(split);
  assert.ok(
    e1.some((e) => e.path === `cells[${i}].driver_hosts` && /the server in the QEMU guest "guest" needs its load generator there too: "driver_hosts": \["guest"\]/.test(e.message)),
    JSON.stringify(e1),
  );
  const loadOnly = guestNotebook();
  loadOnly.cells[i].server_host = 'local';
  const e2 = errorsOf(loadOnly);
  assert.ok(
    e2.some((e) => e.path === `cells[${i}].server_host` && /"guest" \(a QEMU guest\) in driver_hosts needs the server there too/.test(e.message)),
    JSON.stringify(e2),
  );
  const implicit = guestNotebook();
  delete implicit.cells[i].driver_hosts;
  assert.ok(errorsOf(implicit).some((e) => e.path === `cells[${i}].driver_hosts`));
});

test('https: tls "on" or "ktls" with nginx and wrk is accepted; with lighttpd or saio-load refused at its path', () => {
  const nb = shippedNotebook('saio-backends');
  const i = expIndex(nb);
  nb.cells[i].protocol.tls = 'ktls';
  const v = validateNotebook(nb);
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  nb.cells[i].driver = { kind: 'saio-load', threads: 1 };
  nb.cells[i].server.kind = 'lighttpd';
  const errors = errorsOf(nb);
  assert.ok(
    errors.some((e) => e.path === `cells[${i}].driver.kind` && /"wrk" for https \(saio-load speaks plain HTTP only\)/.test(e.message)),
    JSON.stringify(errors),
  );
  assert.ok(
    errors.some((e) => e.path === `cells[${i}].protocol.tls` && /no tls with server "lighttpd"/.test(e.message)),
    JSON.stringify(errors),
  );
  nb.cells[i].protocol.tls = 'ssl';
  assert.ok(errorsOf(nb).some((e) => e.path === `cells[${i}].protocol.tls`));
});
