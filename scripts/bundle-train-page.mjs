#!/usr/bin/env node
// Bundles the training page (src/web/train-page/main.ts and what it imports from
// src/training, src/model, src/kernels, src/io …) into one ES module,
// dist/src/web/train-page/main.js, which `cosae serve --train` serves. The page runs the
// same trainer and kernels as Node, so every file in that graph must be browser-safe: an
// import of a Node module fails the build naming the file that imports it.
// (`tsc -p tsconfig.train-page.json` type-checks the same graph first.)
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = join(root, "src", "web", "train-page", "main.ts");
const outfile = join(root, "dist", "src", "web", "train-page", "main.js");

/** Refuses Node's built-in modules, naming the importer (esbuild alone says only "could not resolve"). */
const noNodeModules = {
  name: "no-node-modules",
  setup(b) {
    b.onResolve({ filter: /^node:|^(fs|path|os|url|util|crypto|child_process|worker_threads|zlib|http|net)(\/|$)/ }, (args) => ({
      errors: [
        {
          text:
            `${relative(root, args.importer)} imports "${args.path}", a Node module the browser lacks; ` +
            "the training page's graph must stay browser-safe (move the Node part to its own file)",
        },
      ],
    }));
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
  plugins: [noNodeModules],
});
const bytes = result.metafile.outputs[relative(root, outfile)]?.bytes ?? 0;
const inputs = Object.keys(result.metafile.inputs).length;
console.log(`training page: bundled ${inputs} modules into ${relative(root, outfile)} (${(bytes / 1024).toFixed(0)} KiB)`);
