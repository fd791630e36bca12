// The engine must stay pure Node so the CLI (and any other front end) can use it: nothing
// under src/engine may import `vscode`, directly or through a relative import outside it.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('engine purity', () => {
  const engine = path.resolve(__dirname, '../../src/engine');
  const files = tsFiles(engine);

  it('has engine sources to check', () => assert.ok(files.length > 5));

  for (const f of files) {
    it(`${path.relative(engine, f)} imports neither vscode nor code outside src/engine`, () => {
      const src = readFileSync(f, 'utf8');
      const specs = [...src.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
      for (const s of specs) {
        assert.notEqual(s, 'vscode', `${f} imports vscode`);
        if (s.startsWith('.')) {
          const target = path.resolve(path.dirname(f), s);
          assert.ok(target.startsWith(engine), `${f} imports ${s}, outside src/engine`);
        }
      }
    });
  }
});
