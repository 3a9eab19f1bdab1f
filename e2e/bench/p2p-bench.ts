/**
 * `npm run bench:p2p`: peer-to-peer figures between real Chromium tabs inside a network namespace —
 * data-channel throughput, round trip, and model load from a peer against HTTP. See README.md here.
 * Prints figures; asserts nothing about them (only that no request left the namespace).
 */
import { MAX_FRAME_BYTES, MODEL_CATALOG, TINY_GPT2_ID, findModel } from '@tessera/shared';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromiumInNamespace, type NetworkLog } from '../support/browser.ts';
import { startCoordinator } from '../support/coordinator.ts';
import { createNetworkNamespace, namespaceSupport, type NetworkNamespace } from '../support/network-namespace.ts';
import { waitForServingTabs } from '../support/network-state.ts';
import { measureRoundTrips, measureThroughput, openDataChannelPair, type ThroughputRun } from './data-channel-pair.ts';
import { loadInFreshTab, waitForWorkerCount, type ModelLoadRun } from './model-load-runs.ts';
import { integer, median, megabytes, mibPerSecond, ms, percentiles, renderColumns, seconds } from './p2p-figures.ts';
import { HELP, parseP2pBenchOptions, type P2pBenchOptions } from './p2p-options.ts';

/** PeerLink (simple-peer) holds writes while the channel's bufferedAmount is over this, until `bufferedamountlow`. */
const BUFFERED_LOW_BYTES = 64 * 1024;
/** Unmeasured round trips before the measured ones. */
const PING_WARMUP = 20;
const MODEL = TINY_GPT2_ID;
const CLIENT_INDEX = fileURLToPath(new URL('../../client/dist/index.html', import.meta.url));

/** Everything started so far, stopped in reverse order on the way out (also on Ctrl-C or an error). */
const cleanups: (() => Promise<unknown> | void)[] = [];
let cleaning: Promise<void> | null = null;
let interrupted = false;
/** Runs once; a second caller (Ctrl-C during an error's cleanup) waits for the same run. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // Best effort: the rest still needs stopping.
      }
    }
  })();
  return cleaning;
}

interface Environment {
  namespace: NetworkNamespace;
  coordinatorUrl: string;
  browser: Browser;
  /** Every browser context the benchmark opened, and the request log of each. */
  contexts: BrowserContext[];
  logs: NetworkLog[];
}

async function dataChannelPhase(env: Environment, options: P2pBenchOptions): Promise<void> {
  const pair = await openDataChannelPair(env.browser, env.coordinatorUrl, env.contexts);
  env.logs.push(...pair.logs);
  const pairs = pair.pairs.map((selected) => (selected === null ? 'none found' : `${selected.local} → ${selected.remote}`));
  const onNamespace = pair.pairs.every(
    (selected) =>
      selected !== null && selected.local === env.namespace.namespaceAddress && selected.remote === env.namespace.namespaceAddress,
  );
  console.log('Data channel between two tabs in separate browser contexts (one ordered, reliable channel, as PeerLink opens)');
  console.log(
    `  selected ICE pair per tab: ${pairs.join('; ')}${onNamespace ? ' — the namespace interface' : ' — ! not the namespace address'}`,
  );

  const frameKib = MAX_FRAME_BYTES / 1024;
  console.log(
    `  throughput: ${integer(options.totalBytes / 1024 / 1024)} MiB per repeat in ${frameKib} KiB binary messages (the frame size limit); the sender adds none while ` +
      `bufferedAmount > ${BUFFERED_LOW_BYTES / 1024} KiB and waits for bufferedamountlow; MiB/s at the receiver, first byte to last`,
  );
  const runs: ThroughputRun[] = [];
  for (let repeat = 1; repeat <= options.repeats; repeat++) {
    const run = await measureThroughput(pair, options.totalBytes, MAX_FRAME_BYTES, BUFFERED_LOW_BYTES);
    runs.push(run);
    console.log(
      `    repeat ${repeat}   ${mibPerSecond(run.mibPerSecond).padStart(12)}   (${ms(run.receiveMs)}; sender's bufferedAmount peaked at ${(run.maxBufferedBytes / 1024).toFixed(0)} KiB)`,
    );
  }
  console.log(
    `    median     ${mibPerSecond(median(runs.map((run) => run.mibPerSecond))).padStart(12)}   over ${runs.length} repeat(s) on the same connection`,
  );

  const roundTrips = percentiles(await measureRoundTrips(pair, options.pings, PING_WARMUP));
  console.log(
    `  round trip: ${integer(roundTrips.count)} pings of 16 bytes answered at once by the other tab, one in flight, after ${PING_WARMUP} unmeasured`,
  );
  console.log(`    p50 ${ms(roundTrips.p50)} · p90 ${ms(roundTrips.p90)} · p99 ${ms(roundTrips.p99)} · max ${ms(roundTrips.max)}`);
  console.log(
    `    (timed in the page; ${pair.crossOriginIsolated ? 'cross-origin isolated, so the clock resolves 5 µs' : '! not cross-origin isolated, so the clock resolves only 100 µs'})`,
  );
  // Their renderers would otherwise take CPU from the model loads.
  for (const context of env.contexts.splice(0)) await context.close();
}

function sourceCell(run: ModelLoadRun): string {
  const parts = [
    run.fromPeers > 0 ? `peers ${megabytes(run.fromPeers)}` : '',
    run.fromHttp > 0 ? `HTTP ${megabytes(run.fromHttp)}` : '',
    run.fromStore > 0 ? `store ${megabytes(run.fromStore)}` : '',
  ];
  return parts.filter((part) => part !== '').join(' + ') || '—';
}

const loadRow = (label: string, run: ModelLoadRun): string[] => [
  label,
  sourceCell(run),
  ms(run.acquireMs),
  run.engineLoadMs === null ? '?' : ms(run.engineLoadMs),
  ms(run.servingMs),
];

const medianRow = (label: string, runs: readonly ModelLoadRun[]): string[] => {
  const engine = runs.flatMap((run) => (run.engineLoadMs === null ? [] : [run.engineLoadMs]));
  return [label, '', ms(median(runs.map((run) => run.acquireMs))), ms(median(engine)), ms(median(runs.map((run) => run.servingMs)))];
};

async function modelLoadPhase(env: Environment, options: P2pBenchOptions): Promise<void> {
  const entry = findModel(MODEL_CATALOG, MODEL);
  if (entry === undefined) throw new Error(`${MODEL} is not in the model catalog`);
  const totalBytes = entry.files.reduce((sum, file) => sum + file.bytes, 0);
  const loadOptions = (peers: boolean) => ({ peers, contexts: env.contexts, logs: env.logs });

  console.log(
    `\nModel load: ${MODEL}, ${entry.files.length} files, ${megabytes(totalBytes)} in all, each tab in a fresh browser context (empty store)`,
  );
  console.log(
    `  ! The tiny model is only ${megabytes(totalBytes)}: these figures mostly show the per-file and per-connection overhead (asking for seeders,\n` +
      `    opening a peer link, one request per file, hashing, the store), not bandwidth. Expect a large model to differ.`,
  );
  // A: nobody has the model yet, so it comes over HTTP; it then seeds every later tab.
  const seeder = await loadInFreshTab(env.browser, env.coordinatorUrl, MODEL, loadOptions(true));
  await waitForServingTabs(env.coordinatorUrl, 1, [MODEL], 60_000);
  const fromPeer: ModelLoadRun[] = [];
  const overHttp: ModelLoadRun[] = [];
  const rows: string[][] = [
    ['tab', 'files from', 'acquire', 'engine load', 'navigation → serving'],
    loadRow('A, the seeder (first tab, HTTP)', seeder.run),
  ];
  for (let round = 1; round <= options.peerLoads; round++) {
    // Each fresh tab finds A alone: the one before it is closed and gone from the coordinator first.
    const peer = await loadInFreshTab(env.browser, env.coordinatorUrl, MODEL, loadOptions(true));
    fromPeer.push(peer.run);
    rows.push(loadRow(`from peer A, run ${round}${peer.run.fromPeers === totalBytes ? '' : ' (!)'}`, peer.run));
    await peer.context.close();
    await waitForWorkerCount(env.coordinatorUrl, 1);

    const http = await loadInFreshTab(env.browser, env.coordinatorUrl, MODEL, loadOptions(false));
    overHttp.push(http.run);
    rows.push(loadRow(`over HTTP (no peer links), run ${round}`, http.run));
    await http.context.close();
    await waitForWorkerCount(env.coordinatorUrl, 1);
  }
  rows.push(
    medianRow(`median from a peer (${fromPeer.length})`, fromPeer),
    medianRow(`median over HTTP (${overHttp.length}, A not counted)`, overHttp),
  );
  console.log(renderColumns(rows));
  console.log(
    `  acquire: the files into the tab's store (the page's data-acquire-ms; from a peer it includes asking the coordinator for seeders and opening the link);\n` +
      `  engine load: the page's 'loaded in …' badge (rounded by the page); navigation → serving: the page's clock from navigation start to runtime-state 'serving'.`,
  );
  const partial = fromPeer.filter((run) => run.fromPeers !== totalBytes).length;
  if (partial > 0) console.log(`  ! ${partial} peer load(s) (marked !) did not take every byte from the peer; see 'files from'.`);
}

/** The environment line: what the figures were taken on. */
function describeEnvironment(browser: Browser, namespace: NetworkNamespace, coordinatorUrl: string): string {
  const cpuModel = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const builtAt = statSync(CLIENT_INDEX).mtime;
  return (
    `Chromium ${browser.version()} (headless, WASM backend) · Node ${process.version} · ${availableParallelism()} CPUs (${cpuModel}) shared by the tabs, the coordinator and ` +
    `this process · load average ${loadavg()[0]?.toFixed(2) ?? '?'} at start\n` +
    `Network namespace ${namespace.name}: Chromium's only interface is ${namespace.namespaceAddress}, the coordinator listens on ${new URL(coordinatorUrl).host}; ` +
    `pages built ${builtAt.toISOString().replace('T', ' ').slice(0, 16)} UTC (client/dist)\n`
  );
}

async function main(): Promise<void> {
  const parsed = parseP2pBenchOptions(process.argv.slice(2));
  if (parsed.help) {
    console.log(HELP);
    return;
  }
  const { options } = parsed;
  const support = namespaceSupport();
  if (!support.ok) throw new Error(`This benchmark needs its own network namespace and cannot make one: ${support.reason}.`);
  if (!existsSync(CLIENT_INDEX)) throw new Error(`The pages are not built (no ${CLIENT_INDEX}). Run \`npm run build\` first.`);
  // `on`, not `once`: Ctrl-C reaches this process twice (from the terminal and relayed by tsx), and a
  // second signal with no handler would kill it before the namespace is deleted.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      console.error(`\n${signal}: stopping the browser, the coordinator and the namespace.`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  // A stuck tab must not keep the benchmark (and Chromium, and the namespace) alive for ever.
  const watchdogMs =
    10 * 60_000 + options.repeats * (options.totalBytes / 1024 / 1024) * 1000 + options.pings * 100 + options.peerLoads * 120_000;
  setTimeout(() => {
    console.error(`The benchmark did not finish within ${seconds(watchdogMs)}; stopping it.`);
    void cleanUp().finally(() => process.exit(1));
  }, watchdogMs).unref();

  const startedAt = performance.now();
  try {
    const namespace = await createNetworkNamespace();
    cleanups.push(() => namespace.close());
    // Errors only, unless TESSERA_E2E_LOG asks for more: its warnings would land between the figures.
    const coordinator = await startCoordinator({ logLevel: process.env.TESSERA_E2E_LOG ?? 'error' }, { host: namespace.hostAddress });
    cleanups.push(() => coordinator.close());
    const browser = await launchChromiumInNamespace(namespace, coordinator.url, { ownSignals: true });
    cleanups.push(() => browser.close());
    const env: Environment = { namespace, coordinatorUrl: coordinator.url, browser, contexts: [], logs: [] };

    console.log('Tessera peer-to-peer benchmark');
    console.log(describeEnvironment(browser, namespace, coordinator.url));
    await dataChannelPhase(env, options);
    await modelLoadPhase(env, options);

    const requests = env.logs.reduce((sum, log) => sum + log.urls.length, 0);
    const outside = env.logs.flatMap((log) => log.outside([namespace.hostAddress]));
    console.log(
      `\nRequests: ${integer(requests)} from ${env.logs.length} browser contexts, ${integer(requests - outside.length)} to ${namespace.hostAddress}, ` +
        `${outside.length} anywhere else${outside.length === 0 ? ': no request left the namespace' : ''} (data channels are not requests; they can only use the namespace interface).`,
    );
    if (outside.length > 0)
      throw new Error(`${outside.length} request(s) went outside the namespace:\n  ${outside.slice(0, 20).join('\n  ')}`);
  } finally {
    await cleanUp();
  }
  console.log(
    `Total ${seconds(performance.now() - startedAt)}; load average ${loadavg()[0]?.toFixed(2) ?? '?'} at the end (${availableParallelism()} CPUs: above that, other processes took CPU from the tabs).`,
  );
}

main().catch(async (error: unknown) => {
  await cleanUp();
  if (!interrupted) console.error(error instanceof Error ? error.message : error);
  process.exit(interrupted ? 130 : 1);
});
