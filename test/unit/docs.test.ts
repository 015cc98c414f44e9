/** The docs describe the code: every route, error code and event type defined in contracts appears in them. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '#contracts/errors.js';
import { DETAIL_TYPES, EVENT_SOURCE } from '#contracts/events.js';
import { HTTP_ROUTES, routeKey } from '#contracts/routes.js';
import { FUNCTIONS } from '#wiring/index.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('docs match the code', () => {
  const api = read('docs/api.md');
  const events = read('docs/events.md');

  it.each(HTTP_ROUTES.map((r) => routeKey(r)))('docs/api.md documents %s', (key) => {
    expect(api).toContain(`\`${key}`);
  });

  it.each(Object.entries(ERROR_CODES))('docs/api.md lists %s with its status and code', (name, { status, code }) => {
    expect(api).toMatch(new RegExp(`\\| ${status} \\| ${code} \\| \`${name}\` \\|`));
  });

  it.each(Object.values(DETAIL_TYPES))('docs/events.md documents %s', (detailType) => {
    expect(events).toContain(`## \`${detailType}\``);
    expect(events).toContain(EVENT_SOURCE);
  });

  it('README starts with the two commands', () => {
    const lines = read('README.md').split('\n').slice(0, 6).join('\n');
    expect(lines).toContain('npm install && npm start');
    expect(lines).toContain('npm test');
  });
});

/** The row of docs/design.md's wiring table for one function, from its declaration. */
const wiringRow = (declaration: (typeof FUNCTIONS)[keyof typeof FUNCTIONS]): string => {
  const adapters = Object.entries(declaration.adapters as Record<string, { methods?: readonly string[] }>)
    .map(([name, adapter]) => (adapter.methods ? `${name} (${adapter.methods.join(', ')})` : name))
    .join('; ');
  const grants =
    Object.entries(declaration.access)
      .map(([resource, actions]) => `${resource}: ${(actions as readonly string[]).map((a) => a.split(':')[1]).join(', ')}`)
      .join('; ') || '—';
  return `| \`${declaration.name}\` | ${adapters} | ${grants} |`;
};

describe('docs/design.md shows the one wiring rule', () => {
  const design = read('docs/design.md');
  it.each(Object.values(FUNCTIONS).map((f) => [f.name, f] as const))('its table has the row of %s as declared', (_name, declaration) => {
    expect(design).toContain(wiringRow(declaration));
  });
});
