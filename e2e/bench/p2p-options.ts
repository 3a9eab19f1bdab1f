import { parseArgs } from 'node:util';

export interface P2pBenchOptions {
  /** Bytes sent over the data channel in each throughput repeat. */
  totalBytes: number;
  /** Throughput repeats over the same connection. */
  repeats: number;
  /** Measured ping-pong round trips (after a few unmeasured ones). */
  pings: number;
  /** Fresh tabs that load the model from a peer; as many load it over HTTP for comparison. */
  peerLoads: number;
}

const DEFAULTS = { totalMib: 64, repeats: 3, pings: 500, peerLoads: 3 };

export const HELP = `Usage: npm run bench:p2p -- [options]

Peer-to-peer figures between real Chromium tabs inside a network namespace the benchmark makes
(Chromium gathers no loopback ICE candidates, so two tabs on one machine need a real interface).
Needs root, iproute2 and the built pages (npm run build). Prints figures; asserts nothing about them.
  throughput   32 KiB binary messages over one data channel between tabs in two browser contexts,
               sender held at bufferedAmount ≤ 64 KiB like PeerLink; MiB/s on the receiving side
  round trip   small-message ping-pong over the same channel, one in flight at a time
  model load   the tiny GPT-2 loaded by fresh volunteer tabs from a peer tab, and from the
               coordinator over HTTP

Options (defaults in brackets):
  --total-mib N     MiB sent in each throughput repeat [${DEFAULTS.totalMib}]
  --repeats N       throughput repeats [${DEFAULTS.repeats}]
  --pings N         measured round trips [${DEFAULTS.pings}]
  --peer-loads N    fresh tabs loading the model from a peer (and as many over HTTP) [${DEFAULTS.peerLoads}]
  --help            show this help

Chromium is /usr/bin/chromium unless TESSERA_CHROMIUM names another. The coordinator logs errors only
unless TESSERA_E2E_LOG names a level (warn, info, debug).`;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer, got '${raw}'. See --help.`);
  return value;
}

/** Parses the benchmark's flags; `help` is set when the caller asked for the usage text. */
export function parseP2pBenchOptions(argv: readonly string[]): { help: true } | { help: false; options: P2pBenchOptions } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      'total-mib': { type: 'string' },
      repeats: { type: 'string' },
      pings: { type: 'string' },
      'peer-loads': { type: 'string' },
    },
  });
  if (values.help === true) return { help: true };
  return {
    help: false,
    options: {
      totalBytes: positive('total-mib', values['total-mib'], DEFAULTS.totalMib) * 1024 * 1024,
      repeats: positive('repeats', values.repeats, DEFAULTS.repeats),
      pings: positive('pings', values.pings, DEFAULTS.pings),
      peerLoads: positive('peer-loads', values['peer-loads'], DEFAULTS.peerLoads),
    },
  };
}
