import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import hre, { network } from 'hardhat';
import { encodeDeployData, getAddress, isHex, parseEventLogs, zeroAddress } from 'viem';
import { expectRevert } from '../test-support/revert.ts';

const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const wallets = await viem.getWalletClients();
const wallet = (index: number) => wallets[index] ?? assert.fail(`the simulated network has no account #${index}`);
const admin = wallet(0);
const alice = wallet(1);
const bob = wallet(2);

async function deployToken() {
  return viem.deployContract('RewardToken', [admin.account.address]);
}

describe('RewardToken', () => {
  it('is "Tessera Reward" / TSRA with 8 decimals and no initial supply', async () => {
    const token = await deployToken();
    assert.equal(await token.read.name(), 'Tessera Reward');
    assert.equal(await token.read.symbol(), 'TSRA');
    assert.equal(await token.read.decimals(), 8);
    assert.equal(await token.read.totalSupply(), 0n);
  });

  it('gives the admin both the admin and the minter role', async () => {
    const token = await deployToken();
    assert.equal(await token.read.hasRole([await token.read.DEFAULT_ADMIN_ROLE(), admin.account.address]), true);
    assert.equal(await token.read.hasRole([await token.read.MINTER_ROLE(), admin.account.address]), true);
    assert.equal(await token.read.hasRole([await token.read.MINTER_ROLE(), alice.account.address]), false);
  });

  it('lets the minter mint, with a Transfer event from the zero address', async () => {
    const token = await deployToken();
    const hash = await token.write.mint([alice.account.address, 12_345_678_900n]);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    const [transfer] = parseEventLogs({ abi: token.abi, logs: receipt.logs, eventName: 'Transfer' });
    assert.deepEqual(transfer?.args, { from: zeroAddress, to: getAddress(alice.account.address), value: 12_345_678_900n });
    assert.equal(await token.read.balanceOf([alice.account.address]), 12_345_678_900n);
    assert.equal(await token.read.totalSupply(), 12_345_678_900n);
  });

  it('rejects minting by an account without the minter role', async () => {
    const token = await deployToken();
    const asAlice = await viem.getContractAt('RewardToken', token.address, { client: { wallet: alice } });
    await expectRevert(asAlice.write.mint([alice.account.address, 1n]), 'AccessControlUnauthorizedAccount', [
      getAddress(alice.account.address),
      await token.read.MINTER_ROLE(),
    ]);
    assert.equal(await token.read.totalSupply(), 0n);
  });

  it('lets the admin grant and revoke the minter role', async () => {
    const token = await deployToken();
    const minterRole = await token.read.MINTER_ROLE();
    const asBob = await viem.getContractAt('RewardToken', token.address, { client: { wallet: bob } });
    await publicClient.waitForTransactionReceipt({ hash: await token.write.grantRole([minterRole, bob.account.address]) });
    await publicClient.waitForTransactionReceipt({ hash: await asBob.write.mint([bob.account.address, 5n]) });
    assert.equal(await token.read.balanceOf([bob.account.address]), 5n);
    await publicClient.waitForTransactionReceipt({ hash: await token.write.revokeRole([minterRole, bob.account.address]) });
    await expectRevert(asBob.write.mint([bob.account.address, 5n]), 'AccessControlUnauthorizedAccount');
  });

  it('does not let a non-admin grant roles', async () => {
    const token = await deployToken();
    const asAlice = await viem.getContractAt('RewardToken', token.address, { client: { wallet: alice } });
    await expectRevert(
      asAlice.write.grantRole([await token.read.MINTER_ROLE(), alice.account.address]),
      'AccessControlUnauthorizedAccount',
      [getAddress(alice.account.address), await token.read.DEFAULT_ADMIN_ROLE()],
    );
  });

  it('transfers like any ERC-20 and reports insufficient balances with ERC-6093 errors', async () => {
    const token = await deployToken();
    await publicClient.waitForTransactionReceipt({ hash: await token.write.mint([alice.account.address, 100n]) });
    const asAlice = await viem.getContractAt('RewardToken', token.address, { client: { wallet: alice } });
    await publicClient.waitForTransactionReceipt({ hash: await asAlice.write.transfer([bob.account.address, 40n]) });
    assert.equal(await token.read.balanceOf([bob.account.address]), 40n);
    await expectRevert(asAlice.write.transfer([bob.account.address, 61n]), 'ERC20InsufficientBalance', [
      getAddress(alice.account.address),
      60n,
      61n,
    ]);
  });

  it('refuses the zero address as admin', async () => {
    const { abi, bytecode } = await hre.artifacts.readArtifact('RewardToken');
    assert.ok(isHex(bytecode));
    const deployment = publicClient.call({ account: admin.account, data: encodeDeployData({ abi, bytecode, args: [zeroAddress] }) });
    await expectRevert(deployment, 'ZeroAddress', undefined, abi);
  });
});
