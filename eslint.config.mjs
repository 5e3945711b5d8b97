import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdk.out/', 'service/dist/', 'artifacts/', '.bench/', '.build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // Prettier wraps code at 140; this also catches the strings and comments it cannot wrap.
      'max-len': ['error', { code: 140, ignorePattern: '^import ' }],
    },
  },
  {
    // Composition roots and constructors stay readable: one screen of wiring, the work in modules.
    files: ['bench/**', 'bin/**', 'infra/**', 'local/**', 'oncall/**', 'service/src/**', 'contract/**', 'tools/**', 'examples/**'],
    rules: { 'max-lines-per-function': ['error', { max: 100 }] },
  },
  {
    files: ['service/src/app.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80 }] },
  },
  {
    // The bench's heap probe: plain CommonJS, preloaded with `node --require` into the servers it measures.
    files: ['bench/**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', setImmediate: 'readonly', globalThis: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The examples' servers: plain Node. The chat is CommonJS; the others are ES modules.
    files: ['examples/*/*.js'],
    ignores: ['examples/*/public/**'],
    languageOptions: { globals: { URL: 'readonly' } },
  },
  {
    // Apps written in plain CommonJS, as a team's would be (test fixtures of the app contract, the chat example).
    files: ['test/fixtures/apps/**/*.js', 'examples/chat/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Pages: the browser, with the Socket.IO client's global `io`.
    files: ['apps/*/public/**/*.js', 'examples/*/public/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        io: 'readonly',
        location: 'readonly',
        sessionStorage: 'readonly',
        localStorage: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URLSearchParams: 'readonly',
      },
    },
  },
);
