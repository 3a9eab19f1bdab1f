import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { network } from 'hardhat';
import { getAddress, keccak256, parseEventLogs, toHex, zeroAddress, zeroHash, type Address, type Hex, type TransactionReceipt } from 'viem';
import { nodeRegistryAbi } from '../src/index.ts';
import { expectRevert } from '../test-support/revert.ts';

const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const wallets = await viem.getWalletClients();
const wallet = (index: number) => wallets[index] ?? assert.fail(`the simulated network has no account #${index}`);
const admin = wallet(0);
const poster = wallet(1);
const alice = wallet(2);
const bob = wallet(3);
const outsider = wallet(7);
// Checksummed, as viem decodes addresses in events and errors.
const [adminAddress, posterAddress, aliceAddress, bobAddress, outsiderAddress] = [admin, poster, alice, bob, outsider].map((w) =>
  getAddress(w.account.address),
) as [Address, Address, Address, Address, Address];

const WORKER = 1;
const GUARD = 2;

/** A key id as the tabs derive it: the sha256 of the public key; any 32 bytes do here. */
const keyId = (name: string): Hex => keccak256(toHex(`tab key ${name}`));
const model = (name: string): Hex => keccak256(toHex(name));
const llama = model('llama-3.2-1b');
const qwen = model('qwen2.5-0.5b');
const minilm = model('all-MiniLM-L6-v2');

async function mined(hash: Promise<Hex>): Promise<TransactionReceipt> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  assert.equal(receipt.status, 'success');
  return receipt;
}

async function deploy() {
  const registry = await viem.deployContract('NodeRegistry', [adminAddress, posterAddress]);
  const as = (client: typeof admin) => viem.getContractAt('NodeRegistry', registry.address, { client: { wallet: client } });
  return { registry, asAlice: await as(alice), asBob: await as(bob), asPoster: await as(poster), asOutsider: await as(outsider) };
}

/** The registry's events in `receipt`, decoded with the exported ABI (as an indexer would). */
function eventsOf(receipt: TransactionReceipt) {
  return parseEventLogs({ abi: nodeRegistryAbi, logs: receipt.logs }).map((log) => ({
    eventName: log.eventName,
    args: log.args as unknown,
  }));
}

describe('NodeRegistry', () => {
  it('grants the admin and poster roles and refuses a zero address', async () => {
    const { registry } = await deploy();
    const posterRole = await registry.read.EPOCH_POSTER_ROLE();
    assert.equal(posterRole, keccak256(toHex('EPOCH_POSTER_ROLE')));
    assert.equal(await registry.read.hasRole([posterRole, posterAddress]), true);
    assert.equal(await registry.read.hasRole([zeroHash, adminAddress]), true);
    assert.equal(await registry.read.hasRole([posterRole, aliceAddress]), false);
    await expectRevert(viem.deployContract('NodeRegistry', [zeroAddress, posterAddress]), 'ZeroAddress', [], registry.abi);
    await expectRevert(viem.deployContract('NodeRegistry', [adminAddress, zeroAddress]), 'ZeroAddress', [], registry.abi);
  });

  it('registers keys to the caller, with events and every view', async () => {
    const { registry, asAlice } = await deploy();
    const receipt = await mined(asAlice.write.registerKey([keyId('a1'), WORKER, [llama, qwen]]));
    assert.deepEqual(eventsOf(receipt), [
      { eventName: 'KeyRegistered', args: { account: aliceAddress, keyId: keyId('a1'), role: WORKER, models: [llama, qwen] } },
    ]);
    await mined(asAlice.write.registerKey([keyId('a2'), GUARD, [minilm]]));

    assert.deepEqual(await registry.read.keysOf([aliceAddress]), [keyId('a1'), keyId('a2')]);
    assert.equal(await registry.read.accountOf([keyId('a1')]), aliceAddress);
    assert.equal(await registry.read.roleOf([keyId('a1')]), WORKER);
    assert.equal(await registry.read.roleOf([keyId('a2')]), GUARD);
    assert.deepEqual(await registry.read.modelsOf([keyId('a1')]), [llama, qwen]);
    const [account, role, models] = await registry.read.keyInfo([keyId('a2')]);
    assert.equal(account, aliceAddress);
    assert.equal(role, GUARD);
    assert.deepEqual(models, [minilm]);

    // An unknown key reads as zero values.
    assert.equal(await registry.read.accountOf([keyId('nobody')]), zeroAddress);
    assert.equal(await registry.read.roleOf([keyId('nobody')]), 0);
    assert.deepEqual(await registry.read.modelsOf([keyId('nobody')]), []);
    assert.deepEqual(await registry.read.keysOf([bobAddress]), []);
  });

  it('lets a key serve no models (a guard may only check)', async () => {
    const { registry, asBob } = await deploy();
    await mined(asBob.write.registerKey([keyId('b1'), GUARD, []]));
    assert.deepEqual(await registry.read.modelsOf([keyId('b1')]), []);
    assert.equal(await registry.read.roleOf([keyId('b1')]), GUARD);
  });

  it('refuses a key already taken, by another account or the same one', async () => {
    const { registry, asAlice, asBob } = await deploy();
    await mined(asAlice.write.registerKey([keyId('a1'), WORKER, [llama]]));
    await expectRevert(asBob.write.registerKey([keyId('a1'), GUARD, [qwen]]), 'KeyTaken', [keyId('a1'), aliceAddress]);
    await expectRevert(asAlice.write.registerKey([keyId('a1'), GUARD, [qwen]]), 'KeyTaken', [keyId('a1'), aliceAddress]);
    assert.equal(await registry.read.roleOf([keyId('a1')]), WORKER);
    assert.deepEqual(await registry.read.keysOf([bobAddress]), []);
    assert.deepEqual(await registry.read.keysOf([aliceAddress]), [keyId('a1')]);
  });

  it('refuses a zero key, role None and too many models', async () => {
    const { registry, asAlice } = await deploy();
    await expectRevert(asAlice.write.registerKey([zeroHash, WORKER, [llama]]), 'ZeroKey', []);
    await expectRevert(asAlice.write.registerKey([keyId('a1'), 0, [llama]]), 'InvalidRole', []);
    const max = await registry.read.MAX_MODELS_PER_KEY();
    const tooMany = Array.from({ length: Number(max) + 1 }, (_, i) => model(`m${i}`));
    await expectRevert(asAlice.write.registerKey([keyId('a1'), WORKER, tooMany]), 'TooManyModels', [max + 1n, max]);
    await mined(asAlice.write.registerKey([keyId('a1'), WORKER, tooMany.slice(0, Number(max))]));
    assert.equal((await registry.read.modelsOf([keyId('a1')])).length, Number(max));
    await expectRevert(asAlice.write.updateKey([keyId('a1'), WORKER, tooMany]), 'TooManyModels', [max + 1n, max]);
    await expectRevert(asAlice.write.updateKey([keyId('a1'), 0, []]), 'InvalidRole', []);
  });

  it('caps the keys of one account', async () => {
    const { registry, asAlice } = await deploy();
    const max = await registry.read.MAX_KEYS_PER_ACCOUNT();
    for (let i = 0; i < Number(max); i++) await mined(asAlice.write.registerKey([keyId(`cap${i}`), WORKER, []]));
    await expectRevert(asAlice.write.registerKey([keyId('one more'), WORKER, []]), 'TooManyKeys', [aliceAddress, max]);
    await mined(asAlice.write.deregisterKey([keyId('cap0')]));
    await mined(asAlice.write.registerKey([keyId('one more'), WORKER, []]));
    assert.equal((await registry.read.keysOf([aliceAddress])).length, Number(max));
  });

  it('updates only the caller’s own keys, with an event', async () => {
    const { registry, asAlice, asBob } = await deploy();
    await mined(asAlice.write.registerKey([keyId('a1'), WORKER, [llama, qwen]]));
    const receipt = await mined(asAlice.write.updateKey([keyId('a1'), GUARD, [minilm]]));
    assert.deepEqual(eventsOf(receipt), [
      { eventName: 'KeyUpdated', args: { account: aliceAddress, keyId: keyId('a1'), role: GUARD, models: [minilm] } },
    ]);
    assert.equal(await registry.read.roleOf([keyId('a1')]), GUARD);
    assert.deepEqual(await registry.read.modelsOf([keyId('a1')]), [minilm]);
    assert.deepEqual(await registry.read.keysOf([aliceAddress]), [keyId('a1')]);

    await expectRevert(asBob.write.updateKey([keyId('a1'), WORKER, [llama]]), 'NotKeyOwner', [keyId('a1'), aliceAddress]);
    await expectRevert(asBob.write.updateKey([keyId('b9'), WORKER, [llama]]), 'UnknownKey', [keyId('b9')]);
    assert.equal(await registry.read.roleOf([keyId('a1')]), GUARD);
    assert.deepEqual(await registry.read.modelsOf([keyId('a1')]), [minilm]);
  });

  it('deregisters only the caller’s own keys; the key is then free for anyone', async () => {
    const { registry, asAlice, asBob } = await deploy();
    for (const name of ['a1', 'a2', 'a3']) await mined(asAlice.write.registerKey([keyId(name), WORKER, [llama]]));
    await expectRevert(asBob.write.deregisterKey([keyId('a1')]), 'NotKeyOwner', [keyId('a1'), aliceAddress]);
    await expectRevert(asBob.write.deregisterKey([keyId('zz')]), 'UnknownKey', [keyId('zz')]);

    const receipt = await mined(asAlice.write.deregisterKey([keyId('a1')]));
    assert.deepEqual(eventsOf(receipt), [{ eventName: 'KeyDeregistered', args: { account: aliceAddress, keyId: keyId('a1') } }]);
    // Swap-and-pop: the last key took the removed one's place.
    assert.deepEqual(await registry.read.keysOf([aliceAddress]), [keyId('a3'), keyId('a2')]);
    assert.equal(await registry.read.accountOf([keyId('a1')]), zeroAddress);
    assert.equal(await registry.read.roleOf([keyId('a1')]), 0);
    assert.deepEqual(await registry.read.modelsOf([keyId('a1')]), []);
    await expectRevert(asAlice.write.deregisterKey([keyId('a1')]), 'UnknownKey', [keyId('a1')]);

    // The moved key's position was kept right: removing it, then the last one, leaves nothing behind.
    await mined(asAlice.write.deregisterKey([keyId('a3')]));
    assert.deepEqual(await registry.read.keysOf([aliceAddress]), [keyId('a2')]);
    await mined(asAlice.write.deregisterKey([keyId('a2')]));
    assert.deepEqual(await registry.read.keysOf([aliceAddress]), []);

    await mined(asBob.write.registerKey([keyId('a1'), GUARD, [qwen]]));
    assert.equal(await registry.read.accountOf([keyId('a1')]), bobAddress);
    assert.deepEqual(await registry.read.modelsOf([keyId('a1')]), [qwen]);
  });

  it('posts an epoch summary once, from the poster only, with an event', async () => {
    const { registry, asPoster, asOutsider, asAlice } = await deploy();
    const root = keccak256(toHex('epoch 7 reputation table'));
    assert.deepEqual(await registry.read.epochSummary([7n]), [zeroHash, 0, 0n]);

    const posterRole = await registry.read.EPOCH_POSTER_ROLE();
    await expectRevert(asOutsider.write.postSummary([7n, root, 12]), 'AccessControlUnauthorizedAccount', [outsiderAddress, posterRole]);
    await expectRevert(asAlice.write.postSummary([7n, root, 12]), 'AccessControlUnauthorizedAccount', [aliceAddress, posterRole]);
    await expectRevert(asPoster.write.postSummary([7n, zeroHash, 12]), 'EmptyRoot', []);

    const receipt = await mined(asPoster.write.postSummary([7n, root, 12]));
    assert.deepEqual(eventsOf(receipt), [{ eventName: 'SummaryPosted', args: { epoch: 7n, root, nodeCount: 12 } }]);
    const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
    assert.deepEqual(await registry.read.epochSummary([7n]), [root, 12, block.timestamp]);

    const other = keccak256(toHex('a rewritten table'));
    await expectRevert(asPoster.write.postSummary([7n, other, 13]), 'SummaryAlreadyPosted', [7n]);
    assert.deepEqual(await registry.read.epochSummary([7n]), [root, 12, block.timestamp]);

    // Any order, epoch 0 included.
    await mined(asPoster.write.postSummary([0n, other, 0]));
    assert.equal((await registry.read.epochSummary([0n]))[0], other);
    assert.deepEqual(await registry.read.epochSummary([8n]), [zeroHash, 0, 0n]);
  });
});
