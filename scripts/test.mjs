#!/usr/bin/env node
// `npm test`: everything CI checks, in the order that fails fastest.
// 1. Debian packages the end-to-end tests use, installed with apt when missing: Chromium (never a downloaded
//    browser) and iproute2 (`ip`, for the network namespaces the peer-to-peer tests create).
// 2. Typecheck (tsc for shared without DOM or Node types, then coordinator/e2e/scripts; svelte-check for the client).
// 3. Lint (ESLint, with the import boundaries) and formatting (Prettier, checked, never written).
// 4. Build the pages the coordinator serves (the e2e tabs load them).
// 5. The Solidity contracts: Hardhat 3 on Node 22 (fetched from the npm registry by npx), compiler from npm's solc.
// 6. Every vitest project: shared, coordinator, client, tooling, e2e, and coordinator-postgres (the coordinator suite
//    again on PostgreSQL) when TESSERA_TEST_DATABASE_URL names a server: .ci/run starts one and sets it; without it the
//    project is left out with one printed line, except in CI, where its global setup fails the run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';

function run(title, command, args, options = {}) {
  console.log(`\n▶ ${title}: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`\n✖ ${title} failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status ?? 1);
  }
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function ensureDebianPackages() {
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  if (!hasCommand('ip')) missing.push('iproute2');
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !hasCommand('apt-get')) {
    console.error(`Missing Debian package(s): ${missing.join(', ')}. Install them (sudo apt-get install -y ${missing.join(' ')}).`);
    console.error('Set TESSERA_CHROMIUM to use another Chromium binary. Tessera never downloads a browser.');
    process.exit(1);
  }
  run('install Debian packages', 'sh', [
    '-c',
    `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`,
  ]);
}

const only = process.argv.slice(2);
ensureDebianPackages();
run('typecheck', 'npm', ['run', '--silent', 'typecheck']);
run('lint', 'npm', ['run', '--silent', 'lint']);
run('format', 'npm', ['run', '--silent', 'format:check']);
run('build pages', 'npm', ['run', '--silent', 'build']);
if (only.length === 0) run('contracts', 'npm', ['run', '--silent', 'test', '-w', 'contracts']);
run('tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=./scripts/summary-reporter.ts', ...only]);
