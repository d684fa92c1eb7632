// ESLint: the recommended JavaScript rules and typescript-eslint's type-checked set for every
// TypeScript file (src, test, scripts, bench), the plain recommended set for the .mjs/.js scripts,
// Prettier's formatting left to Prettier, and docs/architecture.md's one-way layering as import restrictions
// (the next slip fails `npm run lint`). Rules turned off say why.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Each src/ folder and the folders it must not import (docs/architecture.md "Layers and their rule":
 * cli -> config -> runner -> {gate, secrets, state, bwdc, bitwarden}; scheduler -> observability).
 */
const layers = {
  shared: [
    'cli',
    'config',
    'runner',
    'scheduler',
    'gate',
    'secrets',
    'state',
    'bwdc',
    'bitwarden',
    'observability',
    'directory',
  ],
  directory: ['cli', 'config', 'runner', 'scheduler', 'gate', 'secrets', 'state', 'bwdc', 'bitwarden', 'observability'],
  plan: ['cli', 'config', 'runner', 'scheduler', 'gate', 'secrets', 'state', 'observability'],
  notify: ['cli', 'config', 'runner', 'scheduler', 'gate', 'secrets', 'state', 'bwdc', 'bitwarden', 'observability'],
  observability: ['cli', 'config', 'runner', 'scheduler', 'gate', 'secrets', 'state', 'bwdc', 'bitwarden'],
  config: ['cli', 'runner', 'scheduler', 'gate', 'secrets', 'state', 'bwdc', 'bitwarden', 'observability'],
  secrets: ['cli', 'config', 'runner', 'scheduler', 'gate', 'state', 'bwdc', 'bitwarden'],
  state: ['cli', 'config', 'runner', 'scheduler', 'gate', 'secrets', 'bwdc', 'bitwarden'],
  bwdc: ['cli', 'config', 'runner', 'scheduler', 'gate', 'secrets', 'state', 'bitwarden'],
  bitwarden: ['cli', 'config', 'runner', 'scheduler', 'gate', 'secrets', 'state', 'bwdc'],
  // The import gate sits under the runner: it plans with plan/, reads the organization (bitwarden/),
  // starts bwdc's sync and keeps its forward record in the instance's folder (state/); it takes its
  // settings from the runner, never from config/, and reports through the runner, never observability/.
  gate: ['cli', 'config', 'runner', 'scheduler', 'secrets', 'observability', 'notify', 'directory'],
  runner: ['cli', 'scheduler'],
  scheduler: ['cli', 'gate', 'bwdc', 'bitwarden', 'secrets', 'state'],
};

const layering = Object.entries(layers).map(([folder, forbidden]) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map((f) => ({
          group: [`**/${f}/*`, `**/${f}/**`],
          message: `src/${folder} must not import src/${f} (docs/architecture.md: data flows one way; shared primitives live in src/shared).`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', '.state/', 'bwdc-bundle/', 'helm/', 'k8s/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Providers, run functions and test doubles implement Promise-returning interfaces: an async
      // method without await is how they satisfy them, and the compiler checks what they return.
      '@typescript-eslint/require-await': 'off',
      // Unused arguments are part of a signature (callbacks, interfaces); a leading _ says so.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      // Tests and benchmarks read parsed JSON (logs, rendered manifests, API answers) whose shape
      // they then assert on: typing every such value up front would only restate the assertions.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // node:test's test() returns a promise the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              name: ['test', 'it', 'describe', 'before', 'after', 'beforeEach', 'afterEach'],
              package: 'node:test',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  ...layering,
  prettier,
  {
    // Size limits (docs/development.md "Size limits"), after Prettier's config, which turns max-len off: a
    // file over 300 lines or a function over 100 lines of code is split, not excused. Prettier wraps code
    // at 120 but leaves strings and comments as written: a long message is split by hand into parts.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300 }],
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true, IIFEs: true }],
      'max-len': ['error', { code: 160, ignoreUrls: true }],
    },
  },
  {
    // Configuration loading stays in small stages (docs/configuration.md "How the configuration is read"):
    // no function in src/config/ over 80 lines, blank and comment lines counted, so the next setting does
    // not grow one function back.
    files: ['src/config/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, IIFEs: true }] },
  },
);
