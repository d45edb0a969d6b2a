// A stand-in for a lab process, for the tests that kill one: opens SSH hosts for a run, starts a
// process group on each (a shell with two children), prints {"pids": {host: pid}} and waits to be
// killed. Usage: node lab-child.js '{"runId": ..., "hosts": [{"name", "destination", "configFile"}]}'
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshHost } from '../ssh';

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] as string) as { runId: string; hosts: { name: string; destination: string; configFile: string }[] };
  const out = mkdtempSync(join(tmpdir(), 'saio-labchild-'));
  const pids: Record<string, number> = {};
  for (const h of cfg.hosts) {
    const host = new SshHost({ name: h.name, destination: h.destination, configFile: h.configFile, runId: cfg.runId });
    await host.open();
    const p = await host.spawn({ role: 'server', argv: ['sh', '-c', 'sleep 300 & sleep 300 & wait'], stdoutPath: join(out, `${h.name}.out`), stderrPath: join(out, `${h.name}.err`) });
    pids[h.name] = p.pid;
  }
  process.stdout.write(`${JSON.stringify({ pids })}\n`);
  setInterval(() => {}, 1 << 30);
}

main().catch((e) => {
  process.stderr.write(`lab-child: ${(e as Error).message}\n`);
  process.exit(1);
});
