import { hederaSignedMessageBytes, linkedAccountSchema, walletConfigSchema } from '@tessera/shared';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../src/db/sql-database.ts';
import { createWalletLinkService } from '../src/wallet/wallet-link-service.ts';
import { MirrorNodeServer } from './support/mirror-node-server.ts';
import { newIdentity } from './support/scripted-tab.ts';
import { openTestDatabase } from './support/test-database.ts';
import {
  ED_ACCOUNT,
  EC_ACCOUNT,
  KEY_LIST_ACCOUNT,
  DELETED_ACCOUNT,
  edKey,
  ecKey,
  strangerKey,
  ecEvmAddress,
  walletApp,
  post,
  errorOf,
  challengeFor,
  linkBody,
  type WalletApp,
} from './support/wallet-link-fixtures.ts';
import { freePort } from './support/free-port.ts';

describe('wallet link against a loopback mirror node', () => {
  let mirror: MirrorNodeServer;
  let dir: string;
  let db: SqlDatabase;
  let subject: WalletApp;

  beforeAll(async () => {
    mirror = await MirrorNodeServer.start();
    mirror.add({
      account: ED_ACCOUNT,
      key: { _type: 'ED25519', key: edKey.publicKey.toStringRaw() },
      evm_address: '0x00000000000000000000000000000000000004d2',
    });
    mirror.add({ account: EC_ACCOUNT, key: { _type: 'ECDSA_SECP256K1', key: ecKey.publicKey.toStringRaw() }, evm_address: ecEvmAddress });
    mirror.add({ account: KEY_LIST_ACCOUNT, key: { _type: 'ProtobufEncoded', key: '2a0a0801120612042a0212' }, evm_address: null });
    mirror.add({
      account: DELETED_ACCOUNT,
      key: { _type: 'ED25519', key: edKey.publicKey.toStringRaw() },
      evm_address: null,
      deleted: true,
    });
    dir = mkdtempSync(join(tmpdir(), 'tessera-wallet-'));
    db = await openTestDatabase(dir);
    subject = await walletApp(db, { mirrorNodeUrl: mirror.url, walletConnectProjectId: 'project-123' });
  });
  afterEach(() => {
    mirror.mode = { kind: 'normal' };
  });
  afterAll(async () => {
    await subject.app.close();
    db.close();
    await mirror.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells the page the network, the WalletConnect project id and that linking works', async () => {
    const response = await subject.app.inject({ method: 'GET', url: '/api/v1/wallet/config' });
    expect(walletConfigSchema.parse(response.json())).toEqual({
      network: 'testnet',
      linkingAvailable: true,
      unavailableReason: null,
      walletConnectProjectId: 'project-123',
      challengeTtlMs: 300_000,
      distributorAddress: null,
      mirrorNodeUrl: mirror.url,
    });
  });

  it('issues a one-time challenge that names the tab key and the network', async () => {
    const tab = newIdentity();
    const first = await challengeFor(subject.app, tab);
    const second = await challengeFor(subject.app, tab);
    expect(first.challengeId).not.toBe(second.challengeId);
    expect(first.message).not.toBe(second.message);
    expect(first.message).toContain(`Browser key: ${tab.publicKey}`);
    expect(first.message).toContain('Network: testnet');
    expect(first.expiresAt).toBe(subject.clock.now + 300_000);
  });

  it('links an ED25519 account: the long-zero EVM address, stored and readable', async () => {
    const tab = newIdentity();
    const challenge = await challengeFor(subject.app, tab);
    const { status, json } = await post(subject.app, '/api/v1/wallet/link', linkBody(tab, challenge, ED_ACCOUNT, edKey));
    expect(status).toBe(200);
    const link = linkedAccountSchema.parse(json);
    expect(link).toEqual({
      publicKey: tab.publicKey,
      accountId: ED_ACCOUNT,
      evmAddress: '0x00000000000000000000000000000000000004d2',
      keyType: 'ED25519',
      network: 'testnet',
      linkedAt: subject.clock.now,
    });
    expect(mirror.requests.at(-1)).toBe(`/api/v1/accounts/${ED_ACCOUNT}?transactions=false`);

    const read = await subject.app.inject({ method: 'GET', url: `/api/v1/wallet/${tab.publicKey}` });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(link);
    expect(subject.wallet.linkedAccount(tab.publicKey)).toEqual({
      accountId: ED_ACCOUNT,
      evmAddress: '0x00000000000000000000000000000000000004d2',
    });
  });

  it('links an ECDSA account with its EVM address from the mirror node, without signerPublicKey too', async () => {
    const tab = newIdentity();
    const challenge = await challengeFor(subject.app, tab);
    const { status, json } = await post(
      subject.app,
      '/api/v1/wallet/link',
      linkBody(tab, challenge, EC_ACCOUNT, ecKey, { signerPublicKey: null }),
    );
    expect(status).toBe(200);
    expect(linkedAccountSchema.parse(json)).toMatchObject({ accountId: EC_ACCOUNT, evmAddress: ecEvmAddress, keyType: 'ECDSA_SECP256K1' });
  });

  it('lets the key holder link again: the later link replaces the earlier one', async () => {
    const tab = newIdentity();
    await post(subject.app, '/api/v1/wallet/link', linkBody(tab, await challengeFor(subject.app, tab), ED_ACCOUNT, edKey));
    const { status } = await post(
      subject.app,
      '/api/v1/wallet/link',
      linkBody(tab, await challengeFor(subject.app, tab), EC_ACCOUNT, ecKey),
    );
    expect(status).toBe(200);
    expect(subject.wallet.linkedAccount(tab.publicKey)?.accountId).toBe(EC_ACCOUNT);
  });

  it('refuses a replayed link: the challenge is spent', async () => {
    const tab = newIdentity();
    const body = linkBody(tab, await challengeFor(subject.app, tab), ED_ACCOUNT, edKey);
    expect((await post(subject.app, '/api/v1/wallet/link', body)).status).toBe(200);
    const replay = await post(subject.app, '/api/v1/wallet/link', body);
    expect(replay.status).toBe(409);
    expect(errorOf(replay.json)).toMatchObject({ code: 'challenge_used', param: 'challengeId' });
  });

  it('gives a challenge to exactly one of two racing link requests', async () => {
    const tab = newIdentity();
    const body = linkBody(tab, await challengeFor(subject.app, tab), ED_ACCOUNT, edKey);
    const results = await Promise.all([post(subject.app, '/api/v1/wallet/link', body), post(subject.app, '/api/v1/wallet/link', body)]);
    expect(results.map((result) => result.status).sort()).toEqual([200, 409]);
  });

  it('refuses an expired challenge, and spends it', async () => {
    const tab = newIdentity();
    const challenge = await challengeFor(subject.app, tab);
    subject.clock.now += 300_001;
    const late = await post(subject.app, '/api/v1/wallet/link', linkBody(tab, challenge, ED_ACCOUNT, edKey));
    expect(late.status).toBe(410);
    expect(errorOf(late.json)).toMatchObject({ code: 'challenge_expired', type: 'invalid_request_error' });
    expect(subject.wallet.linkedAccount(tab.publicKey)).toBeUndefined();
  });

  it('refuses a challenge id it never issued', async () => {
    const tab = newIdentity();
    const challenge = { challengeId: crypto.randomUUID(), message: 'anything' };
    const response = await post(subject.app, '/api/v1/wallet/link', linkBody(tab, challenge, ED_ACCOUNT, edKey));
    expect(response.status).toBe(404);
    expect(errorOf(response.json).code).toBe('challenge_not_found');
  });

  it('refuses a tampered signature, a tampered message and a message signed without the Hedera prefix', async () => {
    const tab = newIdentity();
    const flipped = linkBody(tab, await challengeFor(subject.app, tab), ED_ACCOUNT, edKey);
    const badSignature = {
      ...flipped,
      signature: `${flipped.signature.slice(0, 10)}${flipped.signature[10] === '0' ? '1' : '0'}${flipped.signature.slice(11)}`,
    };
    const otherMessage = (challenge: { message: string }) =>
      hederaSignedMessageBytes(challenge.message.replace('Network: testnet', 'Network: mainnet'));
    const unprefixed = (challenge: { message: string }) => new TextEncoder().encode(challenge.message);
    const cases = [badSignature];
    for (const signedMessage of [otherMessage, unprefixed]) {
      const challenge = await challengeFor(subject.app, tab);
      cases.push(linkBody(tab, challenge, ED_ACCOUNT, edKey, { signedMessage: signedMessage(challenge) }));
    }
    const ecChallenge = await challengeFor(subject.app, tab);
    cases.push(linkBody(tab, ecChallenge, EC_ACCOUNT, ecKey, { signedMessage: unprefixed(ecChallenge) }));
    for (const body of cases) {
      const response = await post(subject.app, '/api/v1/wallet/link', body);
      expect(response.status).toBe(400);
      expect(errorOf(response.json)).toMatchObject({ code: 'wallet_signature_invalid', param: 'signature' });
    }
    expect(subject.wallet.linkedAccount(tab.publicKey)).toBeUndefined();
  });

  it("refuses a signature by a key that is not the account's: key mismatch when the wallet names its key", async () => {
    const tab = newIdentity();
    const named = await post(
      subject.app,
      '/api/v1/wallet/link',
      linkBody(tab, await challengeFor(subject.app, tab), ED_ACCOUNT, strangerKey),
    );
    expect(named.status).toBe(400);
    expect(errorOf(named.json)).toMatchObject({ code: 'wallet_key_mismatch', param: 'signerPublicKey' });
    const unnamed = await post(
      subject.app,
      '/api/v1/wallet/link',
      linkBody(tab, await challengeFor(subject.app, tab), ED_ACCOUNT, strangerKey, { signerPublicKey: null }),
    );
    expect(errorOf(unnamed.json).code).toBe('wallet_signature_invalid');
    const lying = linkBody(tab, await challengeFor(subject.app, tab), ED_ACCOUNT, strangerKey, {
      signerPublicKey: edKey.publicKey.toStringDer(),
    });
    expect(errorOf((await post(subject.app, '/api/v1/wallet/link', lying)).json).code).toBe('wallet_signature_invalid');
  });

  it("refuses a link the tab key did not ask for: another key's proof", async () => {
    const tab = newIdentity();
    const intruder = newIdentity();
    const challenge = await challengeFor(subject.app, tab);
    const body = { ...linkBody(intruder, challenge, ED_ACCOUNT, edKey) };
    const response = await post(subject.app, '/api/v1/wallet/link', body);
    expect(response.status).toBe(400);
    expect(errorOf(response.json)).toMatchObject({ code: 'signature_invalid', param: 'identitySignature' });
    expect(subject.wallet.linkedAccount(tab.publicKey)).toBeUndefined();
  });

  it('refuses a proof made for another account than the one linked', async () => {
    const tab = newIdentity();
    const challenge = await challengeFor(subject.app, tab);
    const body = { ...linkBody(tab, challenge, ED_ACCOUNT, edKey), accountId: EC_ACCOUNT };
    expect(errorOf((await post(subject.app, '/api/v1/wallet/link', body)).json).code).toBe('signature_invalid');
  });

  it('refuses unknown, deleted and key-list accounts', async () => {
    const tab = newIdentity();
    const unknown = await post(subject.app, '/api/v1/wallet/link', linkBody(tab, await challengeFor(subject.app, tab), '0.0.777', edKey));
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.json)).toMatchObject({ code: 'account_not_found', param: 'accountId' });
    const deleted = await post(
      subject.app,
      '/api/v1/wallet/link',
      linkBody(tab, await challengeFor(subject.app, tab), DELETED_ACCOUNT, edKey),
    );
    expect(errorOf(deleted.json).code).toBe('account_not_found');
    const keyList = await post(
      subject.app,
      '/api/v1/wallet/link',
      linkBody(tab, await challengeFor(subject.app, tab), KEY_LIST_ACCOUNT, edKey),
    );
    expect(keyList.status).toBe(400);
    expect(errorOf(keyList.json).code).toBe('wallet_key_unsupported');
  });

  it('answers a retryable 503 when the mirror node fails, answers garbage or hangs', async () => {
    for (const mode of [{ kind: 'status', status: 500 }, { kind: 'status', status: 429 }, { kind: 'garbage' }, { kind: 'hang' }] as const) {
      mirror.mode = mode;
      const tab = newIdentity();
      const response = await post(
        subject.app,
        '/api/v1/wallet/link',
        linkBody(tab, await challengeFor(subject.app, tab), ED_ACCOUNT, edKey),
      );
      expect(response.status, mode.kind).toBe(503);
      expect(errorOf(response.json)).toMatchObject({ code: 'mirror_node_unavailable', type: 'server_error' });
    }
  });

  it('answers a retryable 503 when the mirror node refuses connections', async () => {
    const down = await walletApp(db, { mirrorNodeUrl: `http://127.0.0.1:${await freePort()}` });
    const tab = newIdentity();
    const response = await post(down.app, '/api/v1/wallet/link', linkBody(tab, await challengeFor(down.app, tab), ED_ACCOUNT, edKey));
    expect(response.status).toBe(503);
    expect(errorOf(response.json).message).toMatch(/could not be reached/);
    await down.app.close();
  });

  it('refuses malformed bodies with invalid_request and changes nothing', async () => {
    const tab = newIdentity();
    const good = linkBody(tab, await challengeFor(subject.app, tab), ED_ACCOUNT, edKey);
    const malformed: Array<[string, unknown]> = [
      ['/api/v1/wallet/challenge', {}],
      ['/api/v1/wallet/challenge', { publicKey: 'not-a-key' }],
      ['/api/v1/wallet/challenge', { publicKey: tab.publicKey, extra: 1 }],
      ['/api/v1/wallet/link', { ...good, accountId: '0.0.abc' }],
      ['/api/v1/wallet/link', { ...good, accountId: '0.0.01234' }],
      ['/api/v1/wallet/link', { ...good, accountId: `0.0.${2n ** 63n}` }],
      ['/api/v1/wallet/link', { ...good, signature: good.signature.slice(2) }],
      ['/api/v1/wallet/link', { ...good, signature: `0x${good.signature.slice(2)}` }],
      ['/api/v1/wallet/link', { ...good, challengeId: 'not-a-uuid' }],
      ['/api/v1/wallet/link', { ...good, signerPublicKey: 'zz' }],
      ['/api/v1/wallet/link', { ...good, identitySignature: undefined }],
      ['/api/v1/wallet/link', [good]],
    ];
    for (const [url, body] of malformed) {
      const response = await post(subject.app, url, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(response.json).code).toBe('invalid_request');
    }
    const notJson = await post(subject.app, '/api/v1/wallet/link', '{"challengeId":');
    expect(errorOf(notJson.json).code).toBe('invalid_json');
    const badParams = await subject.app.inject({ method: 'GET', url: '/api/v1/wallet/short' });
    expect(badParams.statusCode).toBe(400);
    // None of those spent the challenge: the well-formed request still links.
    expect((await post(subject.app, '/api/v1/wallet/link', good)).status).toBe(200);
  });

  it('answers 404 wallet_link_not_found for a key without a link', async () => {
    const response = await subject.app.inject({ method: 'GET', url: `/api/v1/wallet/${newIdentity().publicKey}` });
    expect(response.statusCode).toBe(404);
    expect(errorOf(response.json()).code).toBe('wallet_link_not_found');
  });

  it('keeps links across a restart, and counts them only on the network they were made on', async () => {
    const tab = newIdentity();
    await post(subject.app, '/api/v1/wallet/link', linkBody(tab, await challengeFor(subject.app, tab), ED_ACCOUNT, edKey));
    const reopened = await openTestDatabase(dir);
    const again = createWalletLinkService({ db: reopened, network: 'testnet', mirrorNodeUrl: mirror.url });
    expect(again.linkedAccount(tab.publicKey)?.accountId).toBe(ED_ACCOUNT);
    const onMainnet = createWalletLinkService({ db: reopened, network: 'mainnet', mirrorNodeUrl: mirror.url });
    expect(onMainnet.linkedAccount(tab.publicKey)).toBeUndefined();
    reopened.close();
  });

  it('says linking is unavailable on a local network without a mirror node', async () => {
    const local = await walletApp(db, { network: 'local' });
    const config = walletConfigSchema.parse((await local.app.inject({ method: 'GET', url: '/api/v1/wallet/config' })).json());
    expect(config).toMatchObject({ network: 'local', linkingAvailable: false, walletConnectProjectId: null });
    expect(config.unavailableReason).toMatch(/TESSERA_MIRROR_NODE_URL/);
    const response = await post(local.app, '/api/v1/wallet/challenge', { publicKey: newIdentity().publicKey });
    expect(response.status).toBe(503);
    expect(errorOf(response.json).code).toBe('wallet_linking_unavailable');
    await local.app.close();
  });
});
