// Lint: ESLint's and typescript-eslint's recommended rules, plus the few that keep this codebase's layering honest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.local-data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Domain logic never talks to AWS directly: that is what the adapters are for.
    files: ['functions/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@aws-sdk/*', 'aws-jwt-verify', '#adapters/*'], message: 'domain code goes through ports (functions/domain/ports/); AWS calls live in functions/adapters' }] }],
    },
  },
  {
    // A handler gets its adapters from its declaration (functions/wiring), so its grants and bundle follow from it.
    files: ['functions/handlers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@aws-sdk/*', '#adapters/*', '#wiring/index.js'], message: 'build adapters through this function\'s own declaration in functions/wiring/<name>.ts' }] }],
    },
  },
  {
    // Tests drive JSON bodies of any shape.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
