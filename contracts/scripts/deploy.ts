// Deploys the reward contracts to the network given by `--network` and prints their addresses as JSON.
//   npm run hardhat -w contracts -- run --network hederaTestnet scripts/deploy.ts
// Environment:
//   TESSERA_POSTER        required: the coordinator's EVM address (gets EPOCH_POSTER_ROLE)
//   TESSERA_TOKEN         optional: use this token instead of deploying RewardToken (e.g. an HTS token's EVM address)
//   TESSERA_ASSOCIATE     optional: "1" to call distributor.associateToken() (HTS tokens on Hedera only)
//   TESSERA_FUND          optional: smallest units to put in the distributor (minted when RewardToken is deployed
//                         here, else transferred from the deployer); default 0
// The deployer (the network's first account) becomes the admin of both contracts.
import { network } from 'hardhat';
import { getAddress, isAddress, type Address } from 'viem';

function requiredAddress(name: string): Address {
  const value = process.env[name];
  if (value === undefined || !isAddress(value)) throw new Error(`${name} must be an EVM address (0x…), got ${value ?? 'nothing'}`);
  return getAddress(value);
}

const poster = requiredAddress('TESSERA_POSTER');
const existingToken =
  process.env.TESSERA_TOKEN === undefined || process.env.TESSERA_TOKEN === '' ? undefined : requiredAddress('TESSERA_TOKEN');
const fund = BigInt(process.env.TESSERA_FUND ?? '0');

const { viem, networkName } = await network.create();
const publicClient = await viem.getPublicClient();
const [deployer] = await viem.getWalletClients();
if (deployer === undefined) throw new Error(`network ${networkName} has no account: set HEDERA_PRIVATE_KEY (hex ECDSA key)`);
const admin = deployer.account.address;

const log = (message: string) => console.error(`[deploy ${networkName}] ${message}`);
const confirm = async (what: string, hash: `0x${string}`) => {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`${what} reverted (${hash})`);
  log(`${what}: ${hash}`);
};

let tokenAddress: Address;
if (existingToken === undefined) {
  const token = await viem.deployContract('RewardToken', [admin]);
  tokenAddress = token.address;
  log(`RewardToken at ${tokenAddress}`);
} else {
  tokenAddress = existingToken;
  log(`using token ${tokenAddress}`);
}

const distributor = await viem.deployContract('RewardDistributor', [tokenAddress, admin, poster]);
log(`RewardDistributor at ${distributor.address} (admin ${admin}, poster ${poster})`);

if (process.env.TESSERA_ASSOCIATE === '1') await confirm('associateToken', await distributor.write.associateToken());

if (fund > 0n) {
  const token = await viem.getContractAt('RewardToken', tokenAddress);
  const hash =
    existingToken === undefined
      ? await token.write.mint([distributor.address, fund])
      : await token.write.transfer([distributor.address, fund]);
  await confirm(`fund ${fund} units`, hash);
}

console.log(
  JSON.stringify({
    network: networkName,
    chainId: await publicClient.getChainId(),
    token: tokenAddress,
    distributor: distributor.address,
    admin,
    poster,
    funded: fund.toString(),
  }),
);
