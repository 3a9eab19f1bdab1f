import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import hre, { network } from 'hardhat';
import {
  encodeDeployData,
  getAddress,
  isHex,
  parseEventLogs,
  zeroAddress,
  zeroHash,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { expectRevert } from '../test-support/revert.ts';

const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const wallets = await viem.getWalletClients();
const wallet = (index: number) => wallets[index] ?? assert.fail(`the simulated network has no account #${index}`);
const admin = wallet(0);
const poster = wallet(1);
const alice = wallet(2);
const bob = wallet(3);
const carol = wallet(4);
const dave = wallet(5);
const relayer = wallet(6);
const outsider = wallet(7);

/** 1 TSRA in smallest units (8 decimals). */
const TSRA = 100_000_000n;

type Leaf = [Address, bigint];

/** The tree the coordinator builds: `StandardMerkleTree.of(values, ['address', 'uint256'])`. */
function epochTree(leaves: readonly Leaf[]) {
  const tree = StandardMerkleTree.of(
    leaves.map(([account, amount]) => [account, amount]),
    ['address', 'uint256'],
  );
  const root = tree.root;
  assert.ok(isHex(root));
  const total = leaves.reduce((sum, [, amount]) => sum + amount, 0n);
  const proofOf = (account: Address): Hex[] => {
    for (const [index, [leafAccount]] of tree.entries()) {
      if (leafAccount === account) return tree.getProof(index).map((node) => (assert.ok(isHex(node)), node));
    }
    throw new Error(`${account} is not in the tree`);
  };
  return { root, total, proofOf };
}

async function mined(hash: Promise<Hex>): Promise<TransactionReceipt> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  assert.equal(receipt.status, 'success');
  return receipt;
}

/** A token, a distributor (admin, poster) and `funding` minted to the distributor. */
async function deploy(funding = 1_000n * TSRA) {
  const token = await viem.deployContract('RewardToken', [admin.account.address]);
  const distributor = await viem.deployContract('RewardDistributor', [token.address, admin.account.address, poster.account.address]);
  if (funding > 0n) await mined(token.write.mint([distributor.address, funding]));
  const asPoster = await viem.getContractAt('RewardDistributor', distributor.address, { client: { wallet: poster } });
  const asRelayer = await viem.getContractAt('RewardDistributor', distributor.address, { client: { wallet: relayer } });
  const asOutsider = await viem.getContractAt('RewardDistributor', distributor.address, { client: { wallet: outsider } });
  return { token, distributor, asPoster, asRelayer, asOutsider };
}

const epoch1Leaves: Leaf[] = [
  [alice.account.address, 12n * TSRA + 34_567_890n],
  [bob.account.address, 3n * TSRA],
  [carol.account.address, 1n],
  [dave.account.address, 250n * TSRA],
];

describe('RewardDistributor', () => {
  describe('deployment', () => {
    it('holds the token, grants the admin and poster roles, owes nothing', async () => {
      const { token, distributor } = await deploy(0n);
      assert.equal(await distributor.read.token(), getAddress(token.address));
      assert.equal(await distributor.read.hasRole([await distributor.read.DEFAULT_ADMIN_ROLE(), admin.account.address]), true);
      assert.equal(await distributor.read.hasRole([await distributor.read.EPOCH_POSTER_ROLE(), poster.account.address]), true);
      assert.equal(await distributor.read.hasRole([await distributor.read.EPOCH_POSTER_ROLE(), admin.account.address]), false);
      assert.equal(await distributor.read.totalOutstanding(), 0n);
      assert.equal(await distributor.read.epochRoot([1n]), zeroHash);
    });

    it('refuses zero addresses', async () => {
      const { abi, bytecode } = await hre.artifacts.readArtifact('RewardDistributor');
      assert.ok(isHex(bytecode));
      const cases: Array<[Address, Address, Address]> = [
        [zeroAddress, admin.account.address, poster.account.address],
        [alice.account.address, zeroAddress, poster.account.address],
        [alice.account.address, admin.account.address, zeroAddress],
      ];
      for (const args of cases) {
        await expectRevert(
          publicClient.call({ account: admin.account, data: encodeDeployData({ abi, bytecode, args }) }),
          'ZeroAddress',
          undefined,
          abi,
        );
      }
    });
  });

  describe('postEpoch', () => {
    it('stores the root and total, adds to what is owed, emits EpochPosted', async () => {
      const { distributor, asPoster } = await deploy();
      const { root, total } = epochTree(epoch1Leaves);
      const receipt = await mined(asPoster.write.postEpoch([1n, root, total]));
      const events = parseEventLogs({ abi: distributor.abi, logs: receipt.logs, eventName: 'EpochPosted' });
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]?.args, { epoch: 1n, root, total });
      assert.equal(await distributor.read.epochRoot([1n]), root);
      assert.deepEqual(await distributor.read.epochInfo([1n]), [root, total, 0n]);
      assert.equal(await distributor.read.totalOutstanding(), total);
    });

    it('accepts epoch 0 and epochs out of order', async () => {
      const { distributor, asPoster } = await deploy();
      const { root } = epochTree(epoch1Leaves);
      await mined(asPoster.write.postEpoch([7n, root, 10n]));
      await mined(asPoster.write.postEpoch([0n, root, 10n]));
      await mined(asPoster.write.postEpoch([2n ** 64n - 1n, root, 10n]));
      assert.equal(await distributor.read.epochRoot([0n]), root);
      assert.equal(await distributor.read.totalOutstanding(), 30n);
    });

    it('rejects posters without EPOCH_POSTER_ROLE, the admin included', async () => {
      const { distributor, asOutsider } = await deploy();
      const { root, total } = epochTree(epoch1Leaves);
      const posterRole = await distributor.read.EPOCH_POSTER_ROLE();
      await expectRevert(asOutsider.write.postEpoch([1n, root, total]), 'AccessControlUnauthorizedAccount', [
        getAddress(outsider.account.address),
        posterRole,
      ]);
      await expectRevert(distributor.write.postEpoch([1n, root, total]), 'AccessControlUnauthorizedAccount', [
        getAddress(admin.account.address),
        posterRole,
      ]);
      assert.equal(await distributor.read.epochRoot([1n]), zeroHash);
    });

    it('never re-posts an epoch, with the same root or another one', async () => {
      const { distributor, asPoster } = await deploy();
      const first = epochTree(epoch1Leaves);
      const second = epochTree([[alice.account.address, 999n * TSRA]]);
      await mined(asPoster.write.postEpoch([1n, first.root, first.total]));
      await expectRevert(asPoster.write.postEpoch([1n, first.root, first.total]), 'EpochAlreadyPosted', [1n]);
      await expectRevert(asPoster.write.postEpoch([1n, second.root, 1n]), 'EpochAlreadyPosted', [1n]);
      assert.deepEqual(await distributor.read.epochInfo([1n]), [first.root, first.total, 0n]);
    });

    it('rejects an empty root and a zero total', async () => {
      const { asPoster } = await deploy();
      await expectRevert(asPoster.write.postEpoch([1n, zeroHash, 1n]), 'EmptyRoot', []);
      await expectRevert(asPoster.write.postEpoch([1n, epochTree(epoch1Leaves).root, 0n]), 'ZeroTotal', []);
    });

    it('only posts what the balance covers on top of earlier unclaimed epochs', async () => {
      const { token, distributor, asPoster } = await deploy(100n);
      const { root } = epochTree(epoch1Leaves);
      await expectRevert(asPoster.write.postEpoch([1n, root, 101n]), 'InsufficientFunding', [101n, 100n]);
      await mined(asPoster.write.postEpoch([1n, root, 60n]));
      await expectRevert(asPoster.write.postEpoch([2n, root, 41n]), 'InsufficientFunding', [101n, 100n]);
      await mined(token.write.mint([distributor.address, 1n]));
      await mined(asPoster.write.postEpoch([2n, root, 41n]));
      assert.equal(await distributor.read.totalOutstanding(), 101n);
      assert.equal(await distributor.read.surplus(), 0n);
    });

    it('lets the admin hand the poster role to another key and take it back', async () => {
      const { distributor } = await deploy();
      const posterRole = await distributor.read.EPOCH_POSTER_ROLE();
      const asBob = await viem.getContractAt('RewardDistributor', distributor.address, { client: { wallet: bob } });
      const { root, total } = epochTree(epoch1Leaves);
      await mined(distributor.write.grantRole([posterRole, bob.account.address]));
      await mined(asBob.write.postEpoch([1n, root, total]));
      await mined(distributor.write.revokeRole([posterRole, bob.account.address]));
      await expectRevert(asBob.write.postEpoch([2n, root, total]), 'AccessControlUnauthorizedAccount');
    });
  });

  describe('claim', () => {
    it('pays every leaf of a real StandardMerkleTree, with Claimed events, down to nothing owed', async () => {
      const { token, distributor, asPoster } = await deploy();
      const tree = epochTree(epoch1Leaves);
      await mined(asPoster.write.postEpoch([1n, tree.root, tree.total]));
      const balanceBefore = await token.read.balanceOf([distributor.address]);
      for (const [account, amount] of epoch1Leaves) {
        assert.equal(await distributor.read.isClaimed([1n, account]), false);
        const receipt = await mined(distributor.write.claim([1n, account, amount, tree.proofOf(account)]));
        const claimed = parseEventLogs({ abi: distributor.abi, logs: receipt.logs, eventName: 'Claimed' });
        assert.deepEqual(
          claimed.map((e) => e.args),
          [{ epoch: 1n, account: getAddress(account), amount }],
        );
        const transfers = parseEventLogs({ abi: token.abi, logs: receipt.logs, eventName: 'Transfer' });
        assert.deepEqual(
          transfers.map((e) => e.args),
          [{ from: getAddress(distributor.address), to: getAddress(account), value: amount }],
        );
        assert.equal(await token.read.balanceOf([account]), amount);
        assert.equal(await distributor.read.isClaimed([1n, account]), true);
      }
      assert.deepEqual(await distributor.read.epochInfo([1n]), [tree.root, tree.total, tree.total]);
      assert.equal(await distributor.read.totalOutstanding(), 0n);
      assert.equal(await token.read.balanceOf([distributor.address]), balanceBefore - tree.total);
    });

    it('lets anyone submit a claim, and always pays the account in the leaf', async () => {
      const { token, asPoster, asRelayer } = await deploy();
      const tree = epochTree(epoch1Leaves);
      await mined(asPoster.write.postEpoch([1n, tree.root, tree.total]));
      const [account, amount] = epoch1Leaves[1] ?? assert.fail('no leaf');
      await mined(asRelayer.write.claim([1n, account, amount, tree.proofOf(account)]));
      assert.equal(await token.read.balanceOf([account]), amount);
      assert.equal(await token.read.balanceOf([relayer.account.address]), 0n);
    });

    it('works for a one-leaf tree (empty proof)', async () => {
      const { token, distributor, asPoster } = await deploy();
      const tree = epochTree([[carol.account.address, 5n * TSRA]]);
      assert.deepEqual(tree.proofOf(carol.account.address), []);
      await mined(asPoster.write.postEpoch([3n, tree.root, tree.total]));
      await mined(distributor.write.claim([3n, carol.account.address, 5n * TSRA, []]));
      assert.equal(await token.read.balanceOf([carol.account.address]), 5n * TSRA);
    });

    it('pays once per epoch and account', async () => {
      const { token, distributor, asPoster, asRelayer } = await deploy();
      const tree = epochTree(epoch1Leaves);
      await mined(asPoster.write.postEpoch([1n, tree.root, tree.total]));
      const [account, amount] = epoch1Leaves[0] ?? assert.fail('no leaf');
      await mined(distributor.write.claim([1n, account, amount, tree.proofOf(account)]));
      await expectRevert(distributor.write.claim([1n, account, amount, tree.proofOf(account)]), 'AlreadyClaimed', [
        1n,
        getAddress(account),
      ]);
      await expectRevert(asRelayer.write.claim([1n, account, amount, tree.proofOf(account)]), 'AlreadyClaimed', [1n, getAddress(account)]);
      assert.equal(await token.read.balanceOf([account]), amount);
    });

    it('rejects wrong proofs, wrong amounts and wrong accounts', async () => {
      const { distributor, asPoster } = await deploy();
      const tree = epochTree(epoch1Leaves);
      await mined(asPoster.write.postEpoch([1n, tree.root, tree.total]));
      const [aliceAddress, aliceAmount] = epoch1Leaves[0] ?? assert.fail('no leaf');
      const aliceProof = tree.proofOf(aliceAddress);
      const cases: Array<[string, Address, bigint, Hex[]]> = [
        ['one unit more', aliceAddress, aliceAmount + 1n, aliceProof],
        ['one unit less', aliceAddress, aliceAmount - 1n, aliceProof],
        ["another leaf's proof", aliceAddress, aliceAmount, tree.proofOf(bob.account.address)],
        ['an account not in the tree', outsider.account.address, aliceAmount, aliceProof],
        ['a truncated proof', aliceAddress, aliceAmount, aliceProof.slice(1)],
        ['no proof', aliceAddress, aliceAmount, []],
        ['a garbage node', aliceAddress, aliceAmount, [zeroHash, ...aliceProof.slice(1)]],
        ['the root itself as the leaf (single hash)', aliceAddress, aliceAmount, [tree.root]],
      ];
      for (const [, account, amount, proof] of cases) {
        await expectRevert(distributor.write.claim([1n, account, amount, proof]), 'InvalidProof', []);
      }
      assert.equal(await distributor.read.isClaimed([1n, aliceAddress]), false);
      assert.equal(await distributor.read.totalOutstanding(), tree.total);
    });

    it("rejects a proof for another epoch's tree", async () => {
      const { distributor, asPoster } = await deploy();
      const one = epochTree(epoch1Leaves);
      const two = epochTree([
        [alice.account.address, 7n],
        [bob.account.address, 8n],
      ]);
      await mined(asPoster.write.postEpoch([1n, one.root, one.total]));
      await mined(asPoster.write.postEpoch([2n, two.root, two.total]));
      await expectRevert(distributor.write.claim([1n, alice.account.address, 7n, two.proofOf(alice.account.address)]), 'InvalidProof');
      await mined(distributor.write.claim([2n, alice.account.address, 7n, two.proofOf(alice.account.address)]));
    });

    it('rejects claims for epochs that were never posted', async () => {
      const { distributor, asPoster } = await deploy();
      const tree = epochTree(epoch1Leaves);
      await expectRevert(distributor.write.claim([1n, alice.account.address, 1n, []]), 'UnknownEpoch', [1n]);
      await mined(asPoster.write.postEpoch([1n, tree.root, tree.total]));
      const [account, amount] = epoch1Leaves[0] ?? assert.fail('no leaf');
      await expectRevert(distributor.write.claim([2n, account, amount, tree.proofOf(account)]), 'UnknownEpoch', [2n]);
    });

    it('keeps epochs apart: the same account claims each of its epochs once', async () => {
      const { token, distributor, asPoster } = await deploy();
      const one = epochTree(epoch1Leaves);
      const two = epochTree([
        [alice.account.address, 2n * TSRA],
        [dave.account.address, 1n * TSRA],
      ]);
      await mined(asPoster.write.postEpoch([1n, one.root, one.total]));
      await mined(asPoster.write.postEpoch([2n, two.root, two.total]));
      const [, aliceOne] = epoch1Leaves[0] ?? assert.fail('no leaf');
      await mined(distributor.write.claim([2n, alice.account.address, 2n * TSRA, two.proofOf(alice.account.address)]));
      assert.equal(await distributor.read.isClaimed([1n, alice.account.address]), false);
      await mined(distributor.write.claim([1n, alice.account.address, aliceOne, one.proofOf(alice.account.address)]));
      assert.equal(await token.read.balanceOf([alice.account.address]), aliceOne + 2n * TSRA);
      assert.equal(await distributor.read.totalOutstanding(), one.total + two.total - aliceOne - 2n * TSRA);
    });

    it('never pays an epoch more than its posted total, even for a tree whose leaves sum to more', async () => {
      const { token, distributor, asPoster } = await deploy();
      // A faulty coordinator posts a tree worth 300 with total 250: the epoch pays 250 at most and
      // another epoch's funds stay untouched.
      const bad = epochTree([
        [alice.account.address, 100n],
        [bob.account.address, 100n],
        [carol.account.address, 100n],
      ]);
      const good = epochTree([[dave.account.address, 40n]]);
      await mined(asPoster.write.postEpoch([1n, bad.root, 250n]));
      await mined(asPoster.write.postEpoch([2n, good.root, good.total]));
      await mined(distributor.write.claim([1n, alice.account.address, 100n, bad.proofOf(alice.account.address)]));
      await mined(distributor.write.claim([1n, bob.account.address, 100n, bad.proofOf(bob.account.address)]));
      await expectRevert(
        distributor.write.claim([1n, carol.account.address, 100n, bad.proofOf(carol.account.address)]),
        'EpochTotalExceeded',
        [1n, 250n, 300n],
      );
      assert.equal(await distributor.read.isClaimed([1n, carol.account.address]), false);
      await mined(distributor.write.claim([2n, dave.account.address, 40n, good.proofOf(dave.account.address)]));
      assert.equal(await token.read.balanceOf([dave.account.address]), 40n);
      assert.equal(await distributor.read.totalOutstanding(), 50n);
    });

    it('blocks re-entry from the token during the transfer', async () => {
      const token = await viem.deployContract('ReentrantToken');
      const distributor = await viem.deployContract('RewardDistributor', [token.address, admin.account.address, poster.account.address]);
      const asPoster = await viem.getContractAt('RewardDistributor', distributor.address, { client: { wallet: poster } });
      await mined(token.write.mint([distributor.address, 1_000n]));
      const tree = epochTree([
        [alice.account.address, 100n],
        [bob.account.address, 200n],
      ]);
      await mined(asPoster.write.postEpoch([1n, tree.root, tree.total]));
      // The token's transfer to alice replays bob's claim from inside the first claim.
      await mined(token.write.arm([distributor.address, 1n, bob.account.address, 200n, tree.proofOf(bob.account.address)]));
      await expectRevert(
        distributor.write.claim([1n, alice.account.address, 100n, tree.proofOf(alice.account.address)]),
        'ReentrancyGuardReentrantCall',
        [],
      );
      assert.equal(await distributor.read.isClaimed([1n, alice.account.address]), false);
      assert.equal(await distributor.read.isClaimed([1n, bob.account.address]), false);
      assert.equal(await token.read.balanceOf([distributor.address]), 1_000n);
    });
  });

  describe('surplus', () => {
    it('lets the admin withdraw only what no posted epoch is owed', async () => {
      const { token, distributor, asPoster, asOutsider } = await deploy(500n);
      const tree = epochTree([[alice.account.address, 300n]]);
      await mined(asPoster.write.postEpoch([1n, tree.root, tree.total]));
      assert.equal(await distributor.read.surplus(), 200n);
      await expectRevert(distributor.write.withdrawSurplus([admin.account.address, 201n]), 'InsufficientSurplus', [201n, 200n]);
      await expectRevert(asOutsider.write.withdrawSurplus([outsider.account.address, 1n]), 'AccessControlUnauthorizedAccount');
      await expectRevert(distributor.write.withdrawSurplus([zeroAddress, 1n]), 'ZeroAddress');
      const receipt = await mined(distributor.write.withdrawSurplus([bob.account.address, 200n]));
      const events = parseEventLogs({ abi: distributor.abi, logs: receipt.logs, eventName: 'SurplusWithdrawn' });
      assert.deepEqual(
        events.map((e) => e.args),
        [{ to: getAddress(bob.account.address), amount: 200n }],
      );
      assert.equal(await token.read.balanceOf([bob.account.address]), 200n);
      await mined(distributor.write.claim([1n, alice.account.address, 300n, tree.proofOf(alice.account.address)]));
      assert.equal(await token.read.balanceOf([distributor.address]), 0n);
    });
  });

  describe('associateToken (Hedera HTS only)', () => {
    it('fails on a plain ERC-20, which has no associate()', async () => {
      const { distributor } = await deploy(0n);
      await expectRevert(distributor.write.associateToken(), 'TokenAssociationFailed', [-1n]);
    });

    it("calls the token facade's associate() and checks for SUCCESS (22)", async () => {
      const token = await viem.deployContract('HtsFacadeToken');
      const distributor = await viem.deployContract('RewardDistributor', [token.address, admin.account.address, poster.account.address]);
      await mined(token.write.setResponseCode([194n])); // TOKEN_ALREADY_ASSOCIATED_TO_ACCOUNT
      await expectRevert(distributor.write.associateToken(), 'TokenAssociationFailed', [194n]);
      await mined(token.write.setResponseCode([22n]));
      await mined(distributor.write.associateToken());
      assert.equal(await token.read.associated([distributor.address]), true);
    });

    it('is admin-only', async () => {
      const { asOutsider } = await deploy(0n);
      await expectRevert(asOutsider.write.associateToken(), 'AccessControlUnauthorizedAccount');
    });
  });
});
