// `npm run lint` (and so `npm test`): typescript-eslint's recommended rules, and the layers of the
// lab as a rule a tool checks (eslint-plugin-boundaries), not a sentence in a README:
//
//   engine-common  electron/engine/common/** (and model.ts: the records, types only) — pure: it
//                  imports only itself and plain libraries, never Node, Electron or React
//   engine         electron/engine/** — imports the engine, never api, main, cli, Electron or React
//   contract       electron/api/contract.ts — the one API; names the engine's record types
//   api-client     electron/api/{ipc-client,web-client,bridge}.ts — the renderer's two transports
//   api            electron/api/** — the handler map and the web server
//   preload        electron/main/preload.ts — runs sandboxed: `electron` only (types aside)
//   main           electron/main/** — Electron's main process
//   cli            electron/cli/**
//   renderer       renderer/src/** — the API contract, its clients and engine-common; nothing else
//
// Tests (*.test.ts) may reach further for fixtures, but never up into a layer their file's layer
// may not import.
import boundaries from 'eslint-plugin-boundaries';
import reactHooks from 'eslint-plugin-react-hooks';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'net', 'http', 'https', 'zlib', 'url', 'util', 'events', 'stream', 'module', 'worker_threads'];

const allow = (from, to, extra = {}) => ({ from: { element: { type: from } }, allow: { to: { element: { types: { anyOf: to } } }, ...extra } });
const allowTypes = (from, to) => ({ from: { element: { type: from } }, allow: { to: { element: { types: { anyOf: to } } }, dependency: { kind: 'type' } } });
const noModules = (from, sources, message) => ({ from: { element: { types: { anyOf: from } } }, disallow: { to: { module: { origin: ['external', 'core'], source: sources } } }, message });

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'build/**', 'kmod/**', 'preload/**', 'native/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_name` says "deliberately unused" (a callback's position, a destructured field left out).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
      // node-pty is loaded on first use so that the CLI never loads the native module.
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^node-pty$'] }],
    },
  },
  {
    files: ['renderer/src/**/*.tsx', 'renderer/src/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    files: ['electron/**/*.ts', 'renderer/src/**/*.ts', 'renderer/src/**/*.tsx'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js', '.json'] } },
      // Whole-file patterns (mode: full) say exactly which files a layer is; v7 prefers file descriptors
      // for that, and warns on every run without this.
      'boundaries/legacy-warnings': false,
      'boundaries/elements': [
        { type: 'engine-common', pattern: ['electron/engine/common/**', 'electron/engine/model.ts'], mode: 'full' },
        { type: 'engine', pattern: 'electron/engine/**', mode: 'full' },
        { type: 'contract', pattern: 'electron/api/contract.ts', mode: 'full' },
        { type: 'api-client', pattern: ['electron/api/ipc-client.ts', 'electron/api/web-client.ts', 'electron/api/bridge.ts'], mode: 'full' },
        { type: 'api', pattern: 'electron/api/**', mode: 'full' },
        { type: 'preload', pattern: 'electron/main/preload.ts', mode: 'full' },
        { type: 'main', pattern: 'electron/main/**', mode: 'full' },
        { type: 'cli', pattern: 'electron/cli/**', mode: 'full' },
        { type: 'renderer', pattern: 'renderer/src/**', mode: 'full' },
      ],
    },
    rules: {
      'boundaries/dependencies': [
        2,
        {
          default: 'disallow',
          checkAllOrigins: true,
          policies: [
            allow('engine-common', ['engine-common']),
            allow('engine', ['engine', 'engine-common']),
            allow('contract', ['engine', 'engine-common']),
            allow('api-client', ['contract', 'api-client']),
            allow('api', ['api', 'contract', 'api-client', 'engine', 'engine-common']),
            allowTypes('preload', ['contract', 'api-client']),
            allow('main', ['main', 'api', 'contract', 'api-client', 'engine', 'engine-common']),
            allow('cli', ['cli', 'api', 'contract', 'api-client', 'engine', 'engine-common']),
            allow('renderer', ['renderer', 'contract', 'api-client', 'engine-common']),
            // Packages: every layer may use plain libraries; these are kept where they belong.
            { allow: { to: { module: { origin: ['external', 'core'] } } } },
            noModules(['engine-common', 'engine', 'contract', 'api-client', 'api', 'cli', 'renderer'], ['electron'], 'only Electron\'s main process and preload import electron'),
            noModules(['engine-common', 'engine', 'contract', 'api-client', 'api', 'cli', 'main', 'preload'], ['react', 'react-dom', 'zustand', '@xterm/*', 'plotly.js*'], 'React, zustand, xterm and plotly belong to the renderer'),
            noModules(['engine-common', 'api-client', 'renderer'], NODE_BUILTINS, 'the renderer, engine/common/ and the API clients run in a browser: no Node modules'),
            noModules(['preload'], ['!electron'], 'the preload script runs sandboxed: it imports only electron'),
          ],
        },
      ],
    },
  },
  {
    // Tests run under Node and may use its modules and the engine's fixtures; the layer rule
    // above still applies to what they import from other layers.
    files: ['**/*.test.ts', '**/fixture.ts', 'electron/engine/bundle/repack.ts', 'renderer/src/testing/**'],
    rules: {
      // Tests poke at documents as parsed JSON, require modules fresh, and write terse helpers.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
      'boundaries/dependencies': [
        2,
        {
          default: 'disallow',
          checkAllOrigins: true,
          policies: [
            allow('engine-common', ['engine-common', 'engine']),
            allow('engine', ['engine', 'engine-common']),
            allow('api', ['api', 'contract', 'api-client', 'engine', 'engine-common']),
            allow('main', ['main', 'api', 'contract', 'api-client', 'engine', 'engine-common']),
            allow('cli', ['cli', 'api', 'contract', 'api-client', 'engine', 'engine-common']),
            // The renderer's unit tests check its rules against the engine's own validation.
            allow('renderer', ['renderer', 'contract', 'api-client', 'engine-common', 'engine']),
            { allow: { to: { module: { origin: ['external', 'core'] } } } },
          ],
        },
      ],
    },
  },
);
