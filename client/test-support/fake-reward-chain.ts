import { rewardDistributorAbi } from '@tessera/contracts';
import { hederaAccountIdSchema } from '@tessera/shared';
import type { ClaimableEpoch } from '@tessera/shared';
import { decodeFunctionData, encodeErrorResult, isHex } from 'viem';
import type { Hex } from 'viem';
import type { Fetch } from '../src/api/openai-client.ts';
import { WalletSignerError, WalletSignerEvents } from '../src/wallet/wallet-signer.ts';
import type {
  ContractCall,
  ContractCallSubmission,
  WalletSignature,
  WalletSigner,
  WalletSignerEvent,
} from '../src/wallet/wallet-signer.ts';
import { mirrorTransactionId } from '../src/rewards/mirror-contracts.ts';

/**
 * Tests only: a `RewardDistributor` as the claim flow meets it at its seams: the mirror node's REST API
 * (`POST /api/v1/contracts/call`, `GET /api/v1/contracts/results/{id}`, with the web3 module's error
 * body) and a wallet that sends `ContractExecuteTransaction`s. `claim` is checked as the contract does
 * (`UnknownEpoch`, `AlreadyClaimed`, `InvalidProof`, in that order) and reverts with the ABI's custom
 * errors; the proof is compared with the one posted rather than hashed.
 */
export class FakeRewardChain {
  readonly distributor = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
  readonly mirrorUrl = 'https://mirror.test';
  /** Epoch → the one leaf posted for it. */
  readonly posted = new Map<number, { account: string; amount: bigint; proof: readonly string[] }>();
  readonly claimed = new Set<string>();
  /** Every contract call the wallet sent. */
  readonly sent: ContractCall[] = [];
  readonly mirrorRequests: string[] = [];
  /** Gas the mirror node estimates for a call that succeeds. */
  estimate = 95_000n;
  /** Result lookups answered 404 before the record shows, per transaction. */
  mirrorLag = 1;
  /** What the mirror node does: answer, or fail as an unreachable host does. */
  mirrorDown = false;
  readonly #records = new Map<string, { result: string; errorMessage: string | null; lookups: number }>();
  #nonce = 0;

  post(claim: ClaimableEpoch): void {
    this.posted.set(claim.epoch, { account: claim.account.toLowerCase(), amount: BigInt(claim.amount), proof: claim.proof });
  }

  isClaimed(epoch: number, account: string): boolean {
    return this.claimed.has(`${epoch}:${account.toLowerCase()}`);
  }

  /** Runs call data against the distributor: the revert data, or null when `claim` succeeds (and is recorded). */
  execute(data: Hex, commit: boolean): Hex | null {
    const call = decodeFunctionData({ abi: rewardDistributorAbi, data });
    if (call.functionName !== 'claim') throw new Error(`FakeRewardChain: ${call.functionName} is not simulated`);
    const [epoch, account, amount, proof] = call.args;
    const leaf = this.posted.get(Number(epoch));
    if (leaf === undefined) return encodeErrorResult({ abi: rewardDistributorAbi, errorName: 'UnknownEpoch', args: [epoch] });
    if (this.isClaimed(Number(epoch), account))
      return encodeErrorResult({ abi: rewardDistributorAbi, errorName: 'AlreadyClaimed', args: [epoch, account] });
    if (leaf.account !== account.toLowerCase() || leaf.amount !== amount || leaf.proof.join() !== proof.join()) {
      return encodeErrorResult({ abi: rewardDistributorAbi, errorName: 'InvalidProof' });
    }
    if (commit) this.claimed.add(`${Number(epoch)}:${account.toLowerCase()}`);
    return null;
  }

  /** The mirror node's REST API over this chain. */
  readonly fetch: Fetch = async (input, init) => {
    this.mirrorRequests.push(`${init?.method ?? 'GET'} ${input}`);
    if (this.mirrorDown) throw new TypeError('fetch failed');
    const url = new URL(input);
    if (url.pathname === '/api/v1/contracts/call' && init?.method === 'POST') {
      const body: unknown = JSON.parse(String(init.body));
      const data = typeof body === 'object' && body !== null && 'data' in body ? body.data : null;
      const to = typeof body === 'object' && body !== null && 'to' in body ? body.to : null;
      if (!isHex(data, { strict: true }) || to !== this.distributor)
        return Response.json({ _status: { messages: [{ message: 'Bad request' }] } }, { status: 415 });
      const revert = this.execute(data, false);
      if (revert !== null)
        return Response.json(
          { _status: { messages: [{ message: 'CONTRACT_REVERT_EXECUTED', detail: '', data: revert }] } },
          { status: 400 },
        );
      return Response.json({ result: `0x${this.estimate.toString(16)}` });
    }
    const result = /^\/api\/v1\/contracts\/results\/(.+)$/.exec(url.pathname);
    if (result !== null) {
      const record = this.#records.get(result[1] ?? '');
      if (record === undefined || record.lookups++ < this.mirrorLag)
        return Response.json({ _status: { messages: [{ message: 'Not found' }] } }, { status: 404 });
      return Response.json({
        result: record.result,
        error_message: record.errorMessage,
        status: record.result === 'SUCCESS' ? '0x1' : '0x0',
      });
    }
    return new Response('not found', { status: 404 });
  };

  /** A paired HashConnect wallet whose `executeContractCall` sends to this chain; `answer` can make it decline. */
  wallet(accountId = '0.0.4321'): FakeChainWallet {
    return new FakeChainWallet(this, accountId);
  }

  /** Called by the wallet: the transaction reaches consensus (success or revert) and the mirror node will report it. */
  submit(call: ContractCall, payer: string): ContractCallSubmission {
    this.sent.push(call);
    if (call.contractEvmAddress !== this.distributor) throw new Error('FakeRewardChain: call to another contract');
    const revert = this.execute(call.callData, true);
    const transactionId = `${payer}@${1_700_000_000 + this.#nonce++}.000000001`;
    this.#records.set(mirrorTransactionId(transactionId), {
      result: revert === null ? 'SUCCESS' : 'CONTRACT_REVERT_EXECUTED',
      errorMessage: revert,
      lookups: 0,
    });
    return { transactionId };
  }
}

export class FakeChainWallet implements WalletSigner {
  readonly kind = 'hashconnect';
  state: WalletSigner['state'] = 'disconnected';
  /** Throw from here to act as a wallet that declines or fails. */
  beforeSend: (call: ContractCall) => void = () => undefined;
  readonly #events = new WalletSignerEvents();

  constructor(
    readonly chain: FakeRewardChain,
    readonly accountId: string,
  ) {}

  async connect() {
    this.state = 'connected';
    return { accountId: hederaAccountIdSchema.parse(this.accountId), network: 'testnet' };
  }

  async signMessage(): Promise<WalletSignature> {
    throw new WalletSignerError('failed', 'FakeChainWallet does not sign messages.');
  }

  async executeContractCall(call: ContractCall): Promise<ContractCallSubmission> {
    if (this.state !== 'connected') throw new WalletSignerError('not_connected', 'Connect a wallet before sending a transaction.');
    this.beforeSend(call);
    return this.chain.submit(call, this.accountId);
  }

  async disconnect(): Promise<void> {
    this.state = 'disconnected';
  }

  subscribe(listener: (event: WalletSignerEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }
}
