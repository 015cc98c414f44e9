// Lint: ESLint's and typescript-eslint's recommended rules, plus the few that keep this codebase's layering honest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.local-data/', 'coverage/', 'client/dist/'] },
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
    // zod as a namespace import: esbuild cannot tree-shake `import { z }`, which bundles all of zod (~460 KB with
    // its locales) into every function that validates anything (docs/benchmarks.md, cold start). Request schemas
    // use zod/mini (~20 KB); only the event schemas, which the Powertools parser needs, use classic zod.
    files: ['functions/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "ImportDeclaration[source.value=/^zod(\\/|$)/][importKind!='type'] > ImportSpecifier[importKind!='type']", message: "import zod as a namespace (`import * as z from 'zod/mini'` for request schemas) so that esbuild can tree-shake it" }],
    },
  },
  {
    // Tests drive JSON bodies of any shape.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
