// Refreshes openapi.json from a running server (default http://127.0.0.1:8080,
// or the first argument) and regenerates src/api/schema.d.ts.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const base = process.argv[2] ?? process.env.QV_API ?? 'http://127.0.0.1:8080';
const doc = await (await fetch(`${base}/api/openapi.json`)).json();
writeFileSync(join(web, 'openapi.json'), JSON.stringify(doc, null, 2) + '\n');
execFileSync(join(web, 'node_modules/.bin/openapi-typescript'), ['openapi.json', '-o', 'src/api/schema.d.ts'], { cwd: web, stdio: 'inherit' });
console.log(`openapi.json and src/api/schema.d.ts updated from ${base}`);
