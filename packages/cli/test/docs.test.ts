import { readFileSync } from 'node:fs';
import { exitCodes } from '@leakkit/cli';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

// docs/cli.md is the reference users read: every option a command's --help lists is documented
// there, and its exit-code table is the one the code returns.
const doc = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');

describe('docs/cli.md', () => {
  it.each(['watch', 'analyze', 'diff', 'top'])(
    'documents every option of `leakkit %s --help`',
    async (command) => {
      const { stdout } = await runCli([command, '--help']);
      const options = [...stdout.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!);
      expect(options.length).toBeGreaterThan(0);
      const section = doc.slice(doc.indexOf(`## \`leakkit ${command}\``));
      const end = section.indexOf('\n## ', 1);
      for (const option of options)
        expect(section.slice(0, end < 0 ? undefined : end)).toContain(`\`${option}`);
    },
  );

  it('lists the exit codes the CLI returns', () => {
    const table = doc.slice(
      doc.indexOf('## Exit codes'),
      doc.indexOf('\n## ', doc.indexOf('## Exit codes') + 1),
    );
    const documented = [...table.matchAll(/^\| `(\d+)` \|/gm)].map((m) => Number(m[1]));
    expect(documented).toEqual(Object.values(exitCodes));
  });
});
