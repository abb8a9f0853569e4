#!/usr/bin/env node
// A native-solc-compatible front end for the official npm `solc` (JS build).
//
// It speaks the subset of solc's command line that py-solc-x and ape-solidity
// use:  --version, --standard-json (input on stdin, output on stdout),
// --base-path, --include-path, --allow-paths.  Everything the compiler reports
// (errors included) is passed back untouched in the standard-JSON output,
// exactly as native solc would.
'use strict';

const fs = require('fs');
const path = require('path');

function usage(message) {
  process.stderr.write(`solc-adapter: ${message}\n`);
  process.exit(2);
}

function loadSolc() {
  // The adapter lives in tools/ of the project; solc in its node_modules.
  const root = projectRoot();
  try {
    return require(require.resolve('solc', { paths: [root] }));
  } catch (err) {
    usage(`npm package "solc" not found under ${root}/node_modules (run "make setup")`);
  }
}

function parseArgs(argv) {
  const opts = { basePath: null, includePaths: [], allowPaths: [], mode: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, null];
    const take = () => (inline !== null ? inline : value());
    switch (flag) {
      case '--version': opts.mode = 'version'; break;
      case '--standard-json': opts.mode = 'standard-json'; break;
      case '--base-path': opts.basePath = take(); break;
      case '--include-path': opts.includePaths.push(take()); break;
      case '--allow-paths': opts.allowPaths.push(...take().split(',').filter(Boolean)); break;
      case '--help': opts.mode = 'help'; break;
      default: usage(`unsupported option ${arg} (supported: --version, --standard-json, --base-path, --include-path, --allow-paths)`);
    }
  }
  return opts;
}

function isInside(child, parent) {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function projectRoot() {
  return path.resolve(process.env.PRODNET_ROOT || path.resolve(__dirname, '..'));
}

function makeReader(opts) {
  const cwd = process.cwd();
  const base = path.resolve(cwd, opts.basePath || '');
  // Ape compiles a copy of the project's own sources in a temporary folder and passes
  // that as --base-path; packages (node_modules/...) stay in the project, so the project
  // root is searched after the base and include paths, like an implicit --include-path.
  const roots = [base, ...opts.includePaths.map((p) => path.resolve(cwd, p)), projectRoot()];
  const allowed = [...roots, ...opts.allowPaths.map((p) => path.resolve(cwd, p))];
  return (sourceUnit) => {
    const candidates = path.isAbsolute(sourceUnit)
      ? [sourceUnit]
      : roots.map((root) => path.join(root, sourceUnit));
    for (const file of candidates) {
      const real = path.resolve(file);
      if (!fs.existsSync(real) || !fs.statSync(real).isFile()) continue;
      if (!allowed.some((dir) => isInside(real, dir))) {
        return { error: `File outside of allowed directories: ${sourceUnit}` };
      }
      return { contents: fs.readFileSync(real, 'utf8') };
    }
    return { error: `File not found. Searched the following locations: ${roots.map((r) => JSON.stringify(r)).join(', ')}.` };
  };
}

function readStdin() {
  const chunks = [];
  const fd = 0;
  const buf = Buffer.alloc(1 << 16);
  for (;;) {
    let n;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if (err.code === 'EAGAIN') continue;
      if (err.code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.mode === 'help' || opts.mode === null) {
    process.stdout.write('solc-adapter: native solc command line over npm solc\n' +
      'usage: solc --version | solc --standard-json [--base-path P] [--include-path P]... [--allow-paths P,...] < input.json\n');
    process.exit(opts.mode === 'help' ? 0 : 2);
  }
  const solc = loadSolc();
  if (opts.mode === 'version') {
    // Native format: "Version: 0.8.28+commit.7893614a.Linux.g++"; py-solc-x reads X.Y.Z+commit.H.
    const full = solc.version().replace(/\.Emscripten\.clang$/, '');
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${full}.Emscripten.clang\n`);
    return;
  }
  const input = readStdin();
  const output = solc.compile(input, { import: makeReader(opts) });
  process.stdout.write(output);
  process.stdout.write('\n');
}

main();
