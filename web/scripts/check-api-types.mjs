// Fails when src/api/schema.d.ts is not what openapi-typescript generates
// from openapi.json (the e2e run separately checks openapi.json against the
// live server). Fix: `npm run gen:api`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'qv-schema-'));
try {
  const out = join(tmp, 'schema.d.ts');
  execFileSync(join(web, 'node_modules/.bin/openapi-typescript'), [join(web, 'openapi.json'), '-o', out], { stdio: 'pipe' });
  if (readFileSync(out, 'utf8') !== readFileSync(join(web, 'src/api/schema.d.ts'), 'utf8')) {
    console.error('src/api/schema.d.ts is stale: run `npm run gen:api` and commit it');
    process.exit(1);
  }
  console.log('src/api/schema.d.ts matches openapi.json');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
