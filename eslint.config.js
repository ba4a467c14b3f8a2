// ESLint for the host-side TypeScript and the build scripts. The AssemblyScript
// core (core-as/**/*.ts) is checked by its compiler, asc: its types (u32, ...)
// and decorators are not TypeScript's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'build/', 'host/generated/', 'core-as/**/*.ts', 'images/cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
