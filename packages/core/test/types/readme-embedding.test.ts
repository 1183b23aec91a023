import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** The first ```ts block after `heading`. */
function codeBlockAfter(markdown: string, heading: string): string {
  const section = markdown.slice(markdown.indexOf(heading));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`No ts block after ${heading}`);
  return match[1]!;
}

test('the README snippet is the one readme-embedding.test-d.ts type-checks', async () => {
  const readme = await readFile(root('../../../../README.md'), 'utf8');
  const checked = await readFile(root('./readme-embedding.test-d.ts'), 'utf8');
  const snippet = /\/\/ README:begin\n([\s\S]*?)\/\/ README:end\n/.exec(checked)?.[1]?.trimEnd();
  expect(readme).toContain('## Embedding the service');
  expect(snippet).toBeDefined();
  expect(codeBlockAfter(readme, '## Embedding the service').trimEnd()).toBe(snippet);
  // No cast is needed to use what the service answers.
  expect(snippet).not.toMatch(/\bas (string|View|unknown|Record)\b/);
});
