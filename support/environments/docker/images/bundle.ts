/**
 * Bundles (esbuild): the Corda stand-in node and the observer, each one JavaScript file with its npm dependencies
 * inlined, so the node-standin image needs no node_modules.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BrokenError } from '../../../errors.ts';
import { REPO_ROOT } from './contract.ts';


/**
 * `createRequire(import.meta.url)('pkg')` is invisible to a bundler; rewrite it to `require('pkg')` so esbuild
 * inlines the package (the stand-in loads @pushcorn/hocon-parser that way).
 */
const inlineCreateRequire = {
  name: 'inline-create-require',
  setup(build: { onLoad: (o: { filter: RegExp }, cb: (a: { path: string }) => Promise<{ contents: string; loader: 'ts' | 'js' }>) => void }) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replace(/createRequire\(\s*import\.meta\.url\s*\)\(\s*(['"])([^'"]+)\1\s*\)/g, 'require($1$2$1)'), loader: 'ts' };
    });
    // @pushcorn/hocon-parser registers its components with require(`../${dir}/${name}`): esbuild turns that
    // template into a glob over the files, whose keys carry the `.js` extension; name it so they match.
    build.onLoad({ filter: /@pushcorn[\\/]hocon-parser[\\/]lib[\\/]core[\\/]Context\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replace(/require\s*\(`\.\.\/\$\{d\}\/\$\{f\}`\)/g, 'require(`../${d}/${f}.js`)'), loader: 'js' };
    });
  },
};

export const BUNDLES: Array<{ entry: string; out: string; expect: RegExp }> = [
  { entry: 'support/environments/common/corda/stand-in-node.ts', out: 'app/stand-in-node.js', expect: /usage: stand-in-node/ },
  { entry: 'support/environments/docker/observer-server.ts', out: 'app/observer.js', expect: /usage: observer/ },
];

export async function bundle(entry: string): Promise<Buffer> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new BrokenError('esbuild is not installed (it comes with tsx): run `npm install`', { cause: err });
  }
  const result = await esbuild.build({
    entryPoints: [join(REPO_ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    write: false,
    minify: false,
    legalComments: 'none',
    logLevel: 'silent',
    // pg's optional native binding; never used (pg falls back to its JS client)
    external: ['pg-native'],
    // CommonJS packages inside an ESM bundle still call require() for Node's built-ins
    banner: { js: "import { createRequire as __haCreateRequire } from 'node:module'; const require = __haCreateRequire(import.meta.url);" },
    plugins: [inlineCreateRequire as never],
  });
  return Buffer.from(result.outputFiles[0].contents);
}
