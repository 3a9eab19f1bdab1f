#!/usr/bin/env node
// Starts Hardhat's local EVM JSON-RPC node (EDR) for other workspaces' tests, from any Node (the project's
// Node 20 included): Hardhat 3 needs Node >= 22, which is taken from npx's cache (`npx -p node@22`).
//
//   node contracts/scripts/start-local-node.mjs [--port 8545] [--hostname 127.0.0.1] [other `hardhat node` options]
//
// Prints one line once the node answers JSON-RPC, then keeps forwarding Hardhat's output:
//   tessera-evm-node ready url=http://127.0.0.1:8545 chainId=31337 pid=<hardhat's pid>
// `--port 0` picks a free port (read it from the url). SIGINT/SIGTERM/SIGHUP are forwarded; the script
// exits with Hardhat's status. Hardhat itself also exits when this script dies, even by SIGKILL.
// Accounts: Hardhat's defaults, 20 accounts from the mnemonic "test test test test test test test test
// test test test junk" (m/44'/60'/0'/0/i), 10000 ETH each; #0 is
// 0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266 with key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const READY_TIMEOUT_MS = 120_000;
const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A Node >= 22 binary: this one if it qualifies, `TESSERA_NODE22` if set, else npx's cached node@22. */
function findNode22() {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  if (process.env.TESSERA_NODE22) return process.env.TESSERA_NODE22;
  const result = spawnSync('npx', ['--prefer-offline', '-y', '-p', 'node@22', '--', 'node', '-p', 'process.execPath'], {
    cwd: workspaceRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const found = result.stdout?.trim().split('\n').pop();
  if (result.status !== 0 || !found || !existsSync(found)) {
    throw new Error(`could not get Node 22 through npx (exit ${result.status}): ${result.stderr?.trim() ?? ''}`);
  }
  return found;
}

/** Hardhat's CLI entry, found like Node finds packages: in node_modules up from this workspace. */
function findHardhatCli() {
  for (let dir = workspaceRoot; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'node_modules', 'hardhat', 'package.json');
    if (existsSync(manifest)) {
      const { bin } = JSON.parse(readFileSync(manifest, 'utf8'));
      return path.join(path.dirname(manifest), typeof bin === 'string' ? bin : bin.hardhat);
    }
    if (path.dirname(dir) === dir) throw new Error('hardhat is not installed (run npm install at the repository root)');
  }
}

const args = process.argv.slice(2);
if (!args.includes('--port')) args.push('--port', '8545');
if (!args.includes('--hostname')) args.push('--hostname', '127.0.0.1');

// Preloaded into Hardhat's process: exit when this script goes away (its parent pid changes).
const exitWithParent = `data:text/javascript,const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.exit(0)},500).unref();`;
const child = spawn(findNode22(), ['--import', exitWithParent, findHardhatCli(), 'node', ...args], {
  cwd: workspaceRoot,
  env: { ...process.env, HARDHAT_DISABLE_TELEMETRY: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
});

const timeout = setTimeout(() => {
  console.error(`tessera-evm-node: not ready after ${READY_TIMEOUT_MS / 1000}s, stopping`);
  child.kill('SIGTERM');
}, READY_TIMEOUT_MS);

let pending = '';
let announced = false;
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (announced) return;
  pending += chunk.toString('utf8');
  const match = /Started HTTP and WebSocket JSON-RPC server at (http:\/\/\S+?)\/?\s/.exec(pending);
  if (match?.[1] === undefined) return;
  announced = true;
  pending = '';
  announce(match[1]).catch((error) => {
    console.error(`tessera-evm-node: the node printed its url but does not answer JSON-RPC: ${error}`);
    child.kill('SIGTERM');
  });
});

/** Confirms that the node answers JSON-RPC, then prints the ready line. */
async function announce(url) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
  });
  const { result } = await response.json();
  clearTimeout(timeout);
  console.log(`tessera-evm-node ready url=${url} chainId=${Number.parseInt(result, 16)} pid=${child.pid}`);
}
