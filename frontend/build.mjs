// `npm run build`: compile frontend/main.scss and copy NHS.UK's JavaScript and assets into static/.
// static/ is git-ignored and served by Django's staticfiles (STATICFILES_DIRS).
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const nhsukDist = join(dirname(require.resolve("nhsuk-frontend/package.json")), "dist", "nhsuk");
const out = join(root, "static");

mkdirSync(join(out, "nhsuk"), { recursive: true });

const { css } = sass.compile(join(root, "frontend", "main.scss"), {
  importers: [new sass.NodePackageImporter(root)],
  style: "compressed",
  quietDeps: true, // nhsuk-frontend's own Sass deprecation notices are not ours to fix
});
// Everything must come from this server (CSP 'self'); fail the build rather than ship a remote URL.
const remote = css.match(/url\(\s*["']?(https?:)?\/\/[^)]*\)/);
if (remote) throw new Error(`compiled CSS refers to another host: ${remote[0]}`);
if (css.includes("@use") || css.includes("@forward")) throw new Error("compiled CSS still contains @use/@forward");
writeFileSync(join(out, "main.css"), css);

cpSync(join(root, "frontend", "main.js"), join(out, "main.js"));
// With its source map: Django's ManifestStaticFilesStorage (collectstatic) fails on a missing map.
for (const file of ["nhsuk-frontend.min.js", "nhsuk-frontend.min.js.map"]) {
  cpSync(join(nhsukDist, file), join(out, "nhsuk", file));
}
cpSync(join(nhsukDist, "assets"), join(out, "nhsuk", "assets"), { recursive: true });
cpSync(require.resolve("axe-core/axe.min.js"), join(out, "axe.min.js"));

const { version } = require("nhsuk-frontend/package.json");
console.log(`static/: main.css (${css.length} bytes), main.js, nhsuk-frontend ${version} JS and assets, axe.min.js`);
