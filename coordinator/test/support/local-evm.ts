import { rewardDistributorAbi, rewardDistributorBytecode, rewardTokenAbi, rewardTokenBytecode } from '@tessera/contracts';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createPublicClient, createWalletClient, defineChain, http, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

/** Hardhat's well-known development keys (mnemonic "test test … junk"): worthless anywhere else. */
export const DEV_KEYS = {
  admin: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  claimer: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  /** Account #2: the coordinator's poster key in the tests. */
  poster: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  /** Account #3: a second poster (another coordinator writing the same distributor). */
  otherPoster: '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
} as const satisfies Record<string, Hex>;

export interface LocalEvm {
  url: string;
  stop(): Promise<void>;
}

/** Starts Hardhat's local EVM node (on Node 22, through the contracts workspace's launcher) on a free port. */
export async function startLocalEvm(): Promise<LocalEvm> {
  const script = fileURLToPath(new URL('../../../contracts/scripts/start-local-node.mjs', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [script, '--port', '0', '--hostname', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local EVM node not ready in 120 s:\n${output.join('')}`)), 120_000);
    timer.unref();
    child.stderr?.on('data', (data: Buffer) => output.push(data.toString()));
    child.stdout?.on('data', (data: Buffer) => {
      output.push(data.toString());
      const match = /tessera-evm-node ready url=(\S+)/.exec(output.join(''));
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`local EVM node exited (${code}):\n${output.join('')}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface DeployedRewards {
  token: Hex;
  distributor: Hex;
  publicClient: PublicClient;
  /** Sends a claim as any funded account would (the tokens go to `account`, whoever submits). */
  claim(epoch: number, account: Hex, amount: bigint, proof: Hex[]): Promise<Hex>;
  balanceOf(account: Hex): Promise<bigint>;
  /** Posts a root with another key that holds the poster role (a second coordinator, a restored backup). */
  postAs(key: Hex, epoch: number, root: Hex, total: bigint): Promise<Hex>;
  /** The distributor's root for `epoch` (`0x00…00` when none). */
  epochRoot(epoch: number): Promise<Hex>;
  /** Every `EpochPosted` event for `epoch`: how many times it was posted. */
  postsOf(epoch: number): Promise<Hex[]>;
}

/** Deploys the token and the distributor, makes `poster` the epoch poster and funds the distributor. */
export async function deployRewards(url: string, poster: Hex, budget: bigint): Promise<DeployedRewards> {
  const transport = http(url);
  const chain = defineChain({
    id: await createPublicClient({ transport }).getChainId(),
    name: 'local',
    nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const publicClient = createPublicClient({ chain, transport });
  const admin = createWalletClient({ chain, transport, account: privateKeyToAccount(DEV_KEYS.admin) });
  const claimer = createWalletClient({ chain, transport, account: privateKeyToAccount(DEV_KEYS.claimer) });
  const deployed = async (hash: Hex): Promise<Hex> => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (!receipt.contractAddress) throw new Error('deployment created no contract');
    return receipt.contractAddress;
  };
  const token = await deployed(
    await admin.deployContract({ abi: rewardTokenAbi, bytecode: rewardTokenBytecode, args: [admin.account.address] }),
  );
  const distributor = await deployed(
    await admin.deployContract({
      abi: rewardDistributorAbi,
      bytecode: rewardDistributorBytecode,
      args: [token, admin.account.address, poster],
    }),
  );
  await publicClient.waitForTransactionReceipt({
    hash: await admin.writeContract({ address: token, abi: rewardTokenAbi, functionName: 'mint', args: [distributor, budget] }),
  });
  return {
    token,
    distributor,
    publicClient,
    async claim(epoch, account, amount, proof) {
      const hash = await claimer.writeContract({
        address: distributor,
        abi: rewardDistributorAbi,
        functionName: 'claim',
        args: [BigInt(epoch), account, amount, proof],
      });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') throw new Error(`claim reverted: ${hash}`);
      return hash;
    },
    balanceOf: (account) => publicClient.readContract({ address: token, abi: rewardTokenAbi, functionName: 'balanceOf', args: [account] }),
    async postAs(key, epoch, root, total) {
      const poster = createWalletClient({ chain, transport, account: privateKeyToAccount(key) });
      const role = await publicClient.readContract({ address: distributor, abi: rewardDistributorAbi, functionName: 'EPOCH_POSTER_ROLE' });
      await publicClient.waitForTransactionReceipt({
        hash: await admin.writeContract({
          address: distributor,
          abi: rewardDistributorAbi,
          functionName: 'grantRole',
          args: [role, poster.account.address],
        }),
      });
      const hash = await poster.writeContract({
        address: distributor,
        abi: rewardDistributorAbi,
        functionName: 'postEpoch',
        args: [BigInt(epoch), root, total],
      });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') throw new Error(`postEpoch reverted: ${hash}`);
      return hash;
    },
    epochRoot: (epoch) =>
      publicClient.readContract({ address: distributor, abi: rewardDistributorAbi, functionName: 'epochRoot', args: [BigInt(epoch)] }),
    async postsOf(epoch) {
      const logs = await publicClient.getContractEvents({
        address: distributor,
        abi: rewardDistributorAbi,
        eventName: 'EpochPosted',
        args: { epoch: BigInt(epoch) },
        fromBlock: 0n,
      });
      return logs.map((log) => log.transactionHash);
    },
  };
}

export function addressOf(key: Hex): Hex {
  return privateKeyToAccount(key).address;
}
