import { AccountId, ContractExecuteTransaction, PrivateKey, SignerSignature, Transaction } from '@hashgraph/sdk';
import {
  base64StringToTransaction,
  signatureMapToBase64String,
  signerSignaturesToSignatureMap,
  stringToSignerMessage,
} from '@hashgraph/hedera-wallet-connect';
import { bytesToHex } from '@tessera/shared';
import type { WalletConfig } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import { hashConnectUnavailableReason } from './hash-connect-availability.ts';
import { HashConnectSigner, signatureFromAnswer } from './hash-connect-signer.ts';
import type {
  HashConnectAccountSigner,
  HashConnectClient,
  HashConnectEvent,
  HashConnectPairing,
  HashConnectRequest,
} from './hash-connect-signer.ts';
import { describeWalletSigner } from '../../test-support/wallet-signer-compliance.ts';

class FakeEvent<Data> implements HashConnectEvent<Data> {
  readonly listeners = new Set<(data: Data) => void>();
  on(callback: (data: Data) => void): void {
    this.listeners.add(callback);
  }
  off(listener: (data: Data) => void): boolean {
    return this.listeners.delete(listener);
  }
  emit(data: Data): void {
    for (const listener of [...this.listeners]) listener(data);
  }
}

type WalletRequest = HashConnectRequest;

/**
 * hashconnect as seen from the page, with a wallet behind it that answers `hedera_signMessage` the way
 * @hashgraph/hedera-wallet-connect's reference `Wallet.hedera_signMessage` does: sign
 * `stringToSignerMessage(message)` with the account key, return the `SignatureMap` in base64.
 */
class FakeHashConnect implements HashConnectClient {
  readonly pairingEvent = new FakeEvent<HashConnectPairing>();
  readonly disconnectionEvent = new FakeEvent<void>();
  connectedAccountIds: AccountId[] = [];
  readonly requests: WalletRequest[] = [];
  modalOpened = 0;
  inits = 0;
  /** What the wallet does with a request; signs by default. */
  answer: (request: WalletRequest) => Promise<unknown> = async (request) =>
    request.method === 'hedera_signMessage' ? this.sign(request.params.message) : this.execute(request.params.transactionList);

  constructor(
    readonly accountId: string,
    readonly key: PrivateKey,
    readonly options: { restored?: boolean; pairOnModal?: boolean } = {},
  ) {}

  async init(): Promise<void> {
    this.inits++;
    if (this.options.restored === true) this.connectedAccountIds = [AccountId.fromString(this.accountId)];
  }

  async openPairingModal(): Promise<void> {
    this.modalOpened++;
    if (this.options.pairOnModal === false) return;
    setTimeout(() => {
      this.connectedAccountIds = [AccountId.fromString(this.accountId)];
      this.pairingEvent.emit({ accountIds: [this.accountId], network: 'testnet' });
    }, 5);
  }

  getSigner(accountId: { toString(): string }): HashConnectAccountSigner {
    if (accountId.toString() !== this.accountId) throw new Error('No session found for account');
    return {
      request: async (request) => {
        this.requests.push(request);
        return this.answer(request);
      },
    };
  }

  async disconnect(): Promise<void> {
    this.connectedAccountIds = [];
    this.disconnectionEvent.emit();
  }

  /**
   * What the reference `Wallet.hedera_signAndExecuteTransaction` answers (`TransactionResponse.toJSON()`),
   * without a network: parses the list as the wallet does, signs it, and reports its id.
   */
  async execute(transactionList: string): Promise<{ nodeId: string; transactionHash: string; transactionId: string }> {
    const transaction = base64StringToTransaction(transactionList);
    await transaction.sign(this.key);
    return { nodeId: '0.0.3', transactionHash: 'ab'.repeat(48), transactionId: transaction.transactionId?.toString() ?? '' };
  }

  sign(message: string): { signatureMap: string } {
    const signatures = stringToSignerMessage(message).map(
      (bytes) =>
        new SignerSignature({
          publicKey: this.key.publicKey,
          signature: this.key.sign(bytes),
          accountId: AccountId.fromString(this.accountId),
        }),
    );
    return { signatureMap: signatureMapToBase64String(signerSignaturesToSignatureMap(signatures)) };
  }
}

function signerWith(client: FakeHashConnect, pairingTimeoutMs = 1000): HashConnectSigner {
  return new HashConnectSigner({ network: 'testnet', createClient: async () => client, pairingTimeoutMs });
}

for (const [name, make] of [
  ['Ed25519 account', () => PrivateKey.generateED25519()],
  ['ECDSA account', () => PrivateKey.generateECDSA()],
] as const) {
  describeWalletSigner(`HashConnectSigner over a fake hashconnect, ${name}`, async () => {
    const key = make();
    return { signer: signerWith(new FakeHashConnect('0.0.4321', key)), accountId: '0.0.4321', accountKey: key.publicKey };
  });
}

describe('HashConnectSigner', () => {
  it("sends the same hedera_signMessage request as hashconnect's signMessages: CAIP account, plain message", async () => {
    const client = new FakeHashConnect('0.0.4321', PrivateKey.generateED25519());
    const signer = signerWith(client);
    await signer.connect();
    await signer.signMessage('hello wallet');
    expect(client.requests).toEqual([
      { method: 'hedera_signMessage', params: { signerAccountId: 'hedera:testnet:0.0.4321', message: 'hello wallet' } },
    ]);
  });

  it('reuses a session the wallet kept, without the pairing modal', async () => {
    const client = new FakeHashConnect('0.0.4321', PrivateKey.generateED25519(), { restored: true });
    const connection = await signerWith(client).connect();
    expect(connection.accountId).toBe('0.0.4321');
    expect(client.modalOpened).toBe(0);
  });

  it('says pairing is under way, and can be cancelled while it waits', async () => {
    const client = new FakeHashConnect('0.0.4321', PrivateKey.generateED25519(), { pairOnModal: false });
    const signer = signerWith(client);
    const events: string[] = [];
    signer.subscribe((event) => events.push(event.type));
    const abort = new AbortController();
    const connecting = signer.connect(abort.signal);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(signer.state).toBe('pairing');
    abort.abort();
    await expect(connecting).rejects.toMatchObject({ reason: 'cancelled' });
    expect(signer.state).toBe('disconnected');
    expect(events).toEqual(['wallet:pairing']);
    expect(client.pairingEvent.listeners.size).toBe(0);
  });

  it('gives up when nobody pairs in time', async () => {
    const signer = signerWith(new FakeHashConnect('0.0.4321', PrivateKey.generateED25519(), { pairOnModal: false }), 30);
    await expect(signer.connect()).rejects.toMatchObject({ reason: 'failed', message: expect.stringMatching(/No wallet paired/) });
  });

  it('reports a wallet that declines to sign, as WalletConnect errors look ({ code, message })', async () => {
    const client = new FakeHashConnect('0.0.4321', PrivateKey.generateED25519());
    client.answer = () => Promise.reject({ code: 5000, message: 'User rejected.' });
    const signer = signerWith(client);
    await signer.connect();
    await expect(signer.signMessage('hi')).rejects.toMatchObject({
      reason: 'rejected',
      message: 'The wallet declined to sign: User rejected.',
    });
  });

  it('reports a library that cannot start (no relay, bad project id) as unavailable, and retries on the next connect', async () => {
    let attempts = 0;
    const client = new FakeHashConnect('0.0.4321', PrivateKey.generateED25519());
    const signer = new HashConnectSigner({
      network: 'testnet',
      createClient: async () => {
        attempts++;
        if (attempts === 1) throw new Error('WebSocket connection to wss://relay.walletconnect.com failed');
        return client;
      },
    });
    await expect(signer.connect()).rejects.toMatchObject({
      reason: 'unavailable',
      message: expect.stringMatching(/relay\.walletconnect\.com/),
    });
    expect((await signer.connect()).accountId).toBe('0.0.4321');
  });

  it('drops the connection when the wallet ends the session', async () => {
    const client = new FakeHashConnect('0.0.4321', PrivateKey.generateED25519());
    const signer = signerWith(client);
    await signer.connect();
    const events: unknown[] = [];
    signer.subscribe((event) => events.push(event));
    client.disconnectionEvent.emit();
    expect(signer.state).toBe('disconnected');
    expect(events).toEqual([{ type: 'wallet:disconnected', reason: 'The wallet ended the session.' }]);
  });

  it('refuses answers without a usable signature map', () => {
    expect(() => signatureFromAnswer({})).toThrow(/without a signatureMap/);
    expect(() => signatureFromAnswer({ signatureMap: '!!!' })).toThrow(/malformed/);
    expect(() => signatureFromAnswer({ signatureMap: btoa(String.fromCharCode(0x0a, 0x03, 0x0a, 0x01, 0x01)) })).toThrow(
      /no Ed25519 or ECDSA signature/,
    );
  });
});

describe('hashConnectUnavailableReason', () => {
  const config: WalletConfig = {
    network: 'testnet',
    linkingAvailable: true,
    unavailableReason: null,
    walletConnectProjectId: 'p',
    challengeTtlMs: 300_000,
    distributorAddress: null,
    mirrorNodeUrl: null,
  };
  it('needs a WalletConnect project id and a public network', () => {
    expect(hashConnectUnavailableReason(config)).toBeNull();
    expect(hashConnectUnavailableReason({ ...config, walletConnectProjectId: null })).toMatch(/no WalletConnect project id/);
    expect(hashConnectUnavailableReason({ ...config, network: 'local' })).toMatch(/local/);
  });
});

describe('HashConnectSigner.executeContractCall', () => {
  const call = {
    contractEvmAddress: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
    callData: '0xa2f94bd3000000000000000000000000000000000000000000000000000000000000002a',
    gas: 180_000,
  } as const;

  it('sends hedera_signAndExecuteTransaction with a ContractExecuteTransaction the reference wallet parses, paid by the paired account', async () => {
    const client = new FakeHashConnect('0.0.4321', PrivateKey.generateED25519());
    const signer = signerWith(client);
    await signer.connect();
    const { transactionId } = await signer.executeContractCall(call);

    const [request] = client.requests;
    expect(request?.method).toBe('hedera_signAndExecuteTransaction');
    if (request?.method !== 'hedera_signAndExecuteTransaction') return;
    expect(request.params.signerAccountId).toBe('hedera:testnet:0.0.4321');
    // The fake wallet parsed and signed it with the reference library (which bundles its own SDK copy).
    const bytes = Uint8Array.from(atob(request.params.transactionList), (c) => c.charCodeAt(0));
    const transaction = Transaction.fromBytes(bytes);
    if (!(transaction instanceof ContractExecuteTransaction)) throw new Error('not a ContractExecuteTransaction');
    expect(transaction.transactionId?.accountId?.toString()).toBe('0.0.4321');
    expect(transaction.transactionId?.toString()).toBe(transactionId);
    expect(transaction.gas?.toNumber()).toBe(180_000);
    expect(bytesToHex(transaction.functionParameters ?? new Uint8Array())).toBe(call.callData.slice(2));
    expect(transaction.nodeAccountIds?.map(String)).toEqual(['0.0.3', '0.0.4', '0.0.5']);
    // The SDK's ContractId._fromProtobuf drops evm_address; the body keeps it: ContractID field 4, 20 bytes.
    expect(bytesToHex(bytes)).toContain(`2214${call.contractEvmAddress.slice(2)}`);
  });

  it('reports a declined transaction as rejected, and an answer without an id as failed', async () => {
    const client = new FakeHashConnect('0.0.4321', PrivateKey.generateED25519());
    const signer = signerWith(client);
    await signer.connect();
    client.answer = () => Promise.reject({ code: 9000, message: 'USER_REJECT' });
    await expect(signer.executeContractCall(call)).rejects.toMatchObject({
      reason: 'rejected',
      message: 'The wallet declined the transaction: USER_REJECT',
    });
    client.answer = async () => ({ nodeId: '0.0.3' });
    await expect(signer.executeContractCall(call)).rejects.toMatchObject({
      reason: 'failed',
      message: expect.stringMatching(/without a transaction id/),
    });
    client.answer = () => Promise.reject(new Error('INSUFFICIENT_PAYER_BALANCE'));
    await expect(signer.executeContractCall(call)).rejects.toMatchObject({
      reason: 'failed',
      message: expect.stringMatching(/INSUFFICIENT_PAYER_BALANCE/),
    });
  });

  it('needs a connected wallet', async () => {
    const signer = signerWith(new FakeHashConnect('0.0.4321', PrivateKey.generateED25519()));
    await expect(signer.executeContractCall(call)).rejects.toMatchObject({ reason: 'not_connected' });
  });
});
