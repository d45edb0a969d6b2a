// The desktop app's packaging (package.json "build", electron-builder 25) checked with
// electron-builder's own code, since the Electron binary itself cannot be downloaded here to
// package for real: its schema validator, its icon collector (app-builder) over build/icons, the
// .desktop entry its Linux targets write (then desktop-file-validate), and every file pattern
// matching something after `npm run build` — a renamed script must not silently fall out of the app.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../engine/paths';

const root = repoRoot();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown> & { build: BuildConfig };
const dir = mkdtempSync(join(tmpdir(), 'saio-packaging-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface BuildConfig {
  directories: { buildResources: string };
  files: string[];
  asarUnpack: string[];
  executableName: string;
  linux: { icon: string; category: string; description: string; desktop: Record<string, string> };
}

/** The sizes freedesktop's hicolor theme has directories for, and 512 for software centres. */
const ICON_SIZES = [16, 24, 32, 48, 64, 96, 128, 256, 512];

test("the build section passes electron-builder's own schema validation (and a typo would not)", async () => {
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration: (c: unknown, log: { isEnabled: boolean }) => Promise<void> };
  await validateConfiguration(pkg.build, { isEnabled: false });
  await assert.rejects(validateConfiguration({ ...pkg.build, linux: { ...pkg.build.linux, icons: 'build/icons' } }, { isEnabled: false }), /does not match the API schema/);
});

test('build/icons: one PNG per size, each as large as its name says, collected by app-builder as electron-builder does', () => {
  assert.equal(pkg.build.directories.buildResources, 'build');
  assert.equal(pkg.build.linux.icon, 'build/icons');
  const icons = join(root, 'build', 'icons');
  assert.deepEqual(readdirSync(icons).sort(), ICON_SIZES.map((s) => `${s}x${s}.png`).sort());
  for (const s of ICON_SIZES) {
    const png = readFileSync(join(icons, `${s}x${s}.png`));
    assert.equal(png.subarray(1, 4).toString(), 'PNG', `${s}x${s}.png is a PNG`);
    // IHDR: width and height, big-endian, at bytes 16..23.
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [s, s], `${s}x${s}.png's own size`);
  }
  const { appBuilderPath } = require('app-builder-bin') as { appBuilderPath: string };
  const r = spawnSync(appBuilderPath, ['icon', '--format', 'set', '--root', join(root, 'build'), '--root', root, '--out', join(dir, 'icon-set'), '--input', pkg.build.linux.icon], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { icons: { file: string; size: number }[]; isFallback: boolean };
  assert.equal(result.isFallback, false, 'our icons, not the default Electron icon');
  assert.deepEqual(
    result.icons.map((i) => i.size),
    ICON_SIZES,
  );
});

test(".desktop entry as electron-builder's Linux targets write it: our category, comment, keywords; desktop-file-validate accepts it", async () => {
  const { AppInfo } = require('app-builder-lib/out/appInfo') as { AppInfo: new (info: unknown, buildVersion: null, options: unknown) => unknown };
  const { LinuxTargetHelper } = require('app-builder-lib/out/targets/LinuxTargetHelper') as {
    LinuxTargetHelper: new (packager: unknown) => { computeDesktopEntry: (options: unknown) => Promise<string> };
  };
  const linux = pkg.build.linux;
  const appInfo = new AppInfo({ metadata: pkg, config: pkg.build }, null, linux);
  // What a Packager hands LinuxTargetHelper: the app's info and the merged config.
  const helper = new LinuxTargetHelper({ appInfo, executableName: pkg.build.executableName, config: pkg.build, platformSpecificBuildOptions: linux, fileAssociations: [] });
  const entry = await helper.computeDesktopEntry(linux);
  const fields = Object.fromEntries(
    entry
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  assert.equal(entry.split('\n')[0], '[Desktop Entry]');
  assert.equal(fields.Name, 'SAIO Lab');
  assert.equal(fields.Categories, 'Development;');
  assert.equal(fields.Comment, linux.description);
  assert.equal(fields.Keywords, linux.desktop.Keywords);
  assert.equal(fields.Icon, pkg.build.executableName);
  const file = join(dir, 'saio-lab-desktop.desktop');
  writeFileSync(file, entry);
  const v = spawnSync('desktop-file-validate', [file], { encoding: 'utf8' });
  assert.equal(v.error, undefined, 'desktop-file-validate is needed (apt-get install desktop-file-utils)');
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.equal(v.stdout + v.stderr, '', 'no hints or warnings either');
});

test('every file pattern of the build section matches a file after npm run build (none went stale)', () => {
  const { minimatch } = require('minimatch') as { minimatch: (path: string, pattern: string, o: { dot: boolean }) => boolean };
  const tree: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (name === 'node_modules' || name === '.git' || name === 'out') continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else tree.push(relative(root, p));
    }
  };
  walk(root);
  for (const pattern of [...pkg.build.files, ...pkg.build.asarUnpack]) {
    if (pattern.startsWith('!') || pattern.startsWith('**/node_modules/')) continue;
    assert.ok(
      tree.some((f) => minimatch(f, pattern, { dot: true })),
      `"${pattern}" matches no file`,
    );
  }
  // The scripts the engine runs from the packaged app are among them.
  for (const script of ['kmod/scripts/module-step.sh', 'kmod/scripts/debian-kernel.sh']) {
    assert.ok(
      pkg.build.files.some((p) => minimatch(script, p, { dot: true })),
      `${script} is packaged`,
    );
  }
});
