import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import hre, { network } from 'hardhat';
import { getAddress, isHex, type Hex } from 'viem';
import { readCompiledContracts, renderExportFiles } from '../scripts/artifact-export.ts';
import {
  epochPosterRole,
  minterRole,
  rewardDistributorAbi,
  rewardDistributorBytecode,
  rewardTokenAbi,
  rewardTokenBytecode,
  rewardTokenDecimals,
  solcVersion,
} from '../src/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('committed artifacts (artifacts-export/, src/index.ts)', () => {
  it('are exactly what a fresh compile exports (else run `npm run export -w contracts`)', async () => {
    // `hardhat test` has just built the sources; render what the export script would write.
    const files = renderExportFiles(await readCompiledContracts(hre.artifacts));
    assert.deepEqual([...files.keys()].sort(), [
      'artifacts-export/NodeRegistry.json',
      'artifacts-export/RewardDistributor.json',
      'artifacts-export/RewardToken.json',
      'src/index.ts',
    ]);
    for (const [relative, expected] of files) {
      const committed = await readFile(path.join(root, relative), 'utf8').catch(() => '');
      assert.ok(committed === expected, `${relative} is stale: run \`npm run export -w contracts\` and commit the result`);
    }
  });

  it('name the solc that built them', () => {
    assert.match(solcVersion, /^0\.8\.28\+commit\.[0-9a-f]{8}$/);
  });

  it('deploy and settle an epoch with plain viem, as the coordinator does', async () => {
    const { viem } = await network.create();
    const publicClient = await viem.getPublicClient();
    const [operator, coordinator, contributor] = await viem.getWalletClients();
    if (operator === undefined || coordinator === undefined || contributor === undefined) throw new Error('too few accounts');
    const deploy = async (hash: Hex): Promise<Hex> => {
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      assert.ok(receipt.contractAddress !== null && receipt.contractAddress !== undefined);
      return receipt.contractAddress;
    };
    const send = async (hash: Hex): Promise<void> => {
      assert.equal((await publicClient.waitForTransactionReceipt({ hash })).status, 'success');
    };

    const token = await deploy(
      await operator.deployContract({ abi: rewardTokenAbi, bytecode: rewardTokenBytecode, args: [operator.account.address] }),
    );
    const distributor = await deploy(
      await operator.deployContract({
        abi: rewardDistributorAbi,
        bytecode: rewardDistributorBytecode,
        args: [token, operator.account.address, coordinator.account.address],
      }),
    );
    assert.equal(await publicClient.readContract({ address: token, abi: rewardTokenAbi, functionName: 'decimals' }), rewardTokenDecimals);
    assert.equal(await publicClient.readContract({ address: token, abi: rewardTokenAbi, functionName: 'MINTER_ROLE' }), minterRole);
    assert.equal(
      await publicClient.readContract({ address: distributor, abi: rewardDistributorAbi, functionName: 'EPOCH_POSTER_ROLE' }),
      epochPosterRole,
    );
    assert.equal(
      await publicClient.readContract({
        address: distributor,
        abi: rewardDistributorAbi,
        functionName: 'hasRole',
        args: [epochPosterRole, coordinator.account.address],
      }),
      true,
    );

    const amount = 42n * 10n ** BigInt(rewardTokenDecimals);
    await send(
      await operator.writeContract({ address: token, abi: rewardTokenAbi, functionName: 'mint', args: [distributor, amount * 2n] }),
    );
    const tree = StandardMerkleTree.of(
      [
        [contributor.account.address, amount.toString()],
        [operator.account.address, amount.toString()],
      ],
      ['address', 'uint256'],
    );
    assert.ok(isHex(tree.root));
    await send(
      await coordinator.writeContract({
        address: distributor,
        abi: rewardDistributorAbi,
        functionName: 'postEpoch',
        args: [1n, tree.root, amount * 2n],
      }),
    );
    const proof = tree.getProof(0).map((node) => (isHex(node) ? node : assert.fail(`proof node ${node} is not hex`)));
    await send(
      await operator.writeContract({
        address: distributor,
        abi: rewardDistributorAbi,
        functionName: 'claim',
        args: [1n, contributor.account.address, amount, proof],
      }),
    );
    assert.equal(
      await publicClient.readContract({
        address: distributor,
        abi: rewardDistributorAbi,
        functionName: 'isClaimed',
        args: [1n, contributor.account.address],
      }),
      true,
    );
    assert.equal(
      await publicClient.readContract({
        address: token,
        abi: rewardTokenAbi,
        functionName: 'balanceOf',
        args: [contributor.account.address],
      }),
      amount,
    );
    assert.equal(
      getAddress(await publicClient.readContract({ address: distributor, abi: rewardDistributorAbi, functionName: 'token' })),
      getAddress(token),
    );
  });
});
