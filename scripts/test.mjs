#!/usr/bin/env node
// `npm test`: everything CI checks, in the order that fails fastest.
// 1. Chromium for the end-to-end tests: Debian's package, installed with apt when missing (never a downloaded browser).
// 2. Typecheck (tsc for shared/coordinator/e2e, svelte-check for the client).
// 3. Build the pages the coordinator serves (the e2e tabs load them).
// 4. The Solidity contracts: Hardhat 3 on Node 22 (fetched from the npm registry by npx), compiler from npm's solc.
// 5. Every vitest project: shared, coordinator, client, e2e.
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

function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    console.error(`Chromium is missing at ${CHROMIUM}. Install Debian's package (sudo apt-get install -y chromium),`);
    console.error('or point TESSERA_CHROMIUM at a Chromium binary. Tessera never downloads a browser.');
    process.exit(1);
  }
  run('install Chromium', 'sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium']);
}

const only = process.argv.slice(2);
ensureChromium();
run('typecheck', 'npm', ['run', '--silent', 'typecheck']);
run('build pages', 'npm', ['run', '--silent', 'build']);
if (only.length === 0) run('contracts', 'npm', ['run', '--silent', 'test', '-w', 'contracts']);
run('tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=./scripts/summary-reporter.ts', ...only]);
