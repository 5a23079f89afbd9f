#!/usr/bin/env node
// `npm install` runs this: build native/ (the addon and the preload library)
// with node-gyp against the headers of the Node that runs it. node-gyp would
// otherwise download headers from nodejs.org, which offline machines cannot
// reach, so point it at the local install (e.g. /usr/include/node) when one
// is there and nobody chose a nodedir already.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function localNodeDir() {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

const args = ['rebuild'];
if (!process.env.npm_config_nodedir) {
  const nodeDir = localNodeDir();
  if (nodeDir) args.push(`--nodedir=${nodeDir}`);
  else console.warn('build-native: no local Node headers next to', process.execPath, '- node-gyp will try to download them');
}

let nodeGyp;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  console.error('build-native: node-gyp is not installed (it is a dependency of jail-run: run `npm install`)');
  process.exit(1);
}

const result = spawnSync(process.execPath, [nodeGyp, ...args], { stdio: 'inherit' });
if (result.status !== 0) {
  console.error(
    'build-native: building the native addon failed. It needs python3, make, a C/C++ compiler (g++ or clang) ' +
      'and the Node headers (Debian: build-essential; headers: the nodejs package or --nodedir).',
  );
  process.exit(result.status ?? 1);
}
