import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CHROMIUM_PATH } from './browser.ts';

const run = promisify(execFile);

/**
 * A network namespace made for one test: a veth pair joins it to the root namespace on a private
 * /24 (host side `.1`, namespace side `.2`). Chromium never gathers loopback ICE candidates, so
 * browser-to-browser WebRTC needs a real interface; inside the namespace the only one leads to the
 * host side, where the test's coordinator listens (DESIGN.md section 9).
 */
export interface NetworkNamespace {
  name: string;
  /** The root namespace's end of the veth pair: where the coordinator listens. */
  hostAddress: string;
  /** The namespace's end: the address Chromium's host ICE candidates carry. */
  namespaceAddress: string;
  /** A wrapper script that runs Chromium inside the namespace, for playwright's `executablePath`. */
  chromiumExecutable: string;
  /** Deletes the veth pair, the namespace and the wrapper; safe to call more than once. */
  close(): Promise<void>;
}

const IP_CANDIDATES = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'];
const NAME_PREFIX = 'tessera-';
/** 10.213.N.0/24: a corner of 10/8 that neither Docker (172.17/16, 10.x pools rarely this) nor CI runners use. */
const SUBNET_PREFIX = '10.213';

let counter = 0;

function findIp(): string | undefined {
  return IP_CANDIDATES.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Whether this process can make network namespaces: it must be root and have iproute2's `ip`. */
export function namespaceSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux, this is ${process.platform}` };
  if (process.getuid?.() !== 0)
    return { ok: false, reason: `network namespaces need root (uid 0), this process runs as uid ${process.getuid?.()}; CI runs as root` };
  if (findIp() === undefined)
    return { ok: false, reason: `iproute2's 'ip' was not found (looked in ${IP_CANDIDATES.join(', ')}); apt-get install iproute2` };
  return { ok: true };
}

async function ip(ipPath: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(ipPath, args);
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces (their veth goes with them) and wrappers left by test processes that died before closing them. */
async function removeStale(ipPath: string): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    const match = /^tessera-netns-(\d+)-/.exec(entry);
    if (match?.[1] && Number(match[1]) !== process.pid && !alive(Number(match[1])))
      rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
  const listing = await ip(ipPath, ['netns', 'list']);
  for (const line of listing.split('\n')) {
    const match = /^(tessera-(\d+)-\d+)\b/.exec(line.trim());
    if (match?.[1] && match[2] && Number(match[2]) !== process.pid && !alive(Number(match[2]))) {
      await ip(ipPath, ['netns', 'delete', match[1]]).catch(() => undefined);
    }
  }
}

/** Subnets 10.213.N.0/24 already on some interface of the root namespace. */
async function usedSubnets(ipPath: string): Promise<Set<number>> {
  const listing = await ip(ipPath, ['-o', '-4', 'addr', 'show']);
  const used = new Set<number>();
  for (const match of listing.matchAll(/inet 10\.213\.(\d+)\./g)) used.add(Number(match[1]));
  return used;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export async function createNetworkNamespace(): Promise<NetworkNamespace> {
  const support = namespaceSupport();
  if (!support.ok) throw new Error(`Cannot create a network namespace for the WebRTC test: ${support.reason}`);
  const ipPath = findIp() as string;
  await removeStale(ipPath);

  const name = `${NAME_PREFIX}${process.pid}-${counter++}`;
  await ip(ipPath, ['netns', 'add', name]);
  const cleanups: Array<() => Promise<void>> = [async () => void (await ip(ipPath, ['netns', 'delete', name]).catch(() => undefined))];
  const undo = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };

  try {
    // The subnet number names the interfaces too, so two processes picking the same one collide on
    // `ip link add` (an atomic "File exists") rather than sharing a subnet: then try the next one.
    const used = await usedSubnets(ipPath);
    const start = (process.pid + counter * 37) % 250;
    let subnet: number | undefined;
    let hostIf = '';
    for (let step = 0; step < 250 && subnet === undefined; step++) {
      const candidate = ((start + step) % 250) + 1;
      if (used.has(candidate)) continue;
      hostIf = `tsr${candidate}h`;
      try {
        await ip(ipPath, ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'tsr0', 'netns', name]);
        subnet = candidate;
      } catch (error) {
        if (!/File exists/i.test((error as Error).message)) throw error;
      }
    }
    if (subnet === undefined) throw new Error(`no free subnet ${SUBNET_PREFIX}.N.0/24 left for a network namespace`);
    // Deleting the root end removes both ends; deleting the namespace would too, this is just quicker.
    const createdHostIf = hostIf;
    cleanups.push(async () => void (await ip(ipPath, ['link', 'delete', createdHostIf]).catch(() => undefined)));

    const hostAddress = `${SUBNET_PREFIX}.${subnet}.1`;
    const namespaceAddress = `${SUBNET_PREFIX}.${subnet}.2`;
    await ip(ipPath, ['addr', 'add', `${hostAddress}/24`, 'dev', hostIf]);
    // Packets from the namespace are never routed on from the host side, even where the machine
    // forwards: nothing Chromium sends leaves the test's network (only this interface's setting).
    try {
      writeFileSync(`/proc/sys/net/ipv4/conf/${hostIf}/forwarding`, '0');
    } catch {
      // A read-only /proc/sys (some containers) cannot forward anyway.
    }
    await ip(ipPath, ['link', 'set', hostIf, 'up']);
    await ip(ipPath, ['-n', name, 'addr', 'add', `${namespaceAddress}/24`, 'dev', 'tsr0']);
    await ip(ipPath, ['-n', name, 'link', 'set', 'lo', 'up']);
    await ip(ipPath, ['-n', name, 'link', 'set', 'tsr0', 'up']);
    // Without a default route Chromium finds no "default local address" and gathers no host candidate.
    await ip(ipPath, ['-n', name, 'route', 'add', 'default', 'via', hostAddress]);

    const wrapperDir = mkdtempSync(join(tmpdir(), `tessera-netns-${process.pid}-`));
    cleanups.push(async () => rmSync(wrapperDir, { recursive: true, force: true }));
    const chromiumExecutable = join(wrapperDir, 'chromium');
    writeFileSync(
      chromiumExecutable,
      `#!/bin/sh\nexec ${shellQuote(ipPath)} netns exec ${shellQuote(name)} ${shellQuote(CHROMIUM_PATH)} "$@"\n`,
    );
    chmodSync(chromiumExecutable, 0o755);

    return { name, hostAddress, namespaceAddress, chromiumExecutable, close: undo };
  } catch (error) {
    await undo();
    throw error;
  }
}
