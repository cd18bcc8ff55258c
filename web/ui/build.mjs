// Builds seekd's chat page into ../static (committed, embedded by package web).
// Run: cd web/ui && npm ci && npm run build
// Neither `go build` nor CI runs this; they use the committed output.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const out = '../static';
const assets = join(out, 'assets');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(assets, 'katex', 'fonts'), { recursive: true });

await build({
  entryPoints: { app: 'src/main.js', math: 'src/math.js' },
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  target: ['es2022'],
  outdir: assets,
  chunkNames: 'chunk-[hash]',
  legalComments: 'none', // collected in licenses.txt instead
  logLevel: 'warning',
});
await build({
  entryPoints: { app: 'src/style.css' },
  bundle: true,
  minify: true,
  outdir: assets,
  logLevel: 'warning',
});

// KaTeX's stylesheet and fonts, loaded only when a message has math.
// Only woff2 fonts are shipped (every browser that runs this page reads them),
// so the stylesheet's woff/ttf fallbacks are cut out.
const katexDist = 'node_modules/katex/dist';
const css = readFileSync(join(katexDist, 'katex.min.css'), 'utf8')
  .replace(/,url\(fonts\/[^)]+\.woff\) format\("woff"\)/g, '')
  .replace(/,url\(fonts\/[^)]+\.ttf\) format\("truetype"\)/g, '');
if (/\.(woff|ttf)\)/.test(css)) throw new Error('katex.min.css: font fallbacks left after rewrite');
writeFileSync(join(assets, 'katex', 'katex.min.css'), css);
for (const f of readdirSync(join(katexDist, 'fonts'))) {
  if (f.endsWith('.woff2')) cpSync(join(katexDist, 'fonts', f), join(assets, 'katex', 'fonts', f));
}

cpSync('src/index.html', join(out, 'index.html'));
cpSync('src/icon.svg', join(assets, 'icon.svg'));

// Licences of the bundled libraries.
const libs = ['marked', 'highlight.js', 'dompurify', 'katex'];
let lic = 'Third-party software bundled in seekd\'s chat page.\n';
for (const name of libs) {
  const dir = join('node_modules', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  lic += `\n==== ${name} ${pkg.version} (${pkg.license}) ====\n\n` + readFileSync(join(dir, file), 'utf8');
}
writeFileSync(join(assets, 'licenses.txt'), lic);

// Report sizes.
let total = 0;
const walk = (d) => readdirSync(d).forEach((f) => {
  const p = join(d, f);
  if (statSync(p).isDirectory()) return walk(p);
  total += statSync(p).size;
});
walk(out);
console.log(`web/static: ${(total / 1024).toFixed(0)} KiB in all`);
