import { createRequire } from 'node:module';
import hardhatNodeTestRunner from '@nomicfoundation/hardhat-node-test-runner';
import hardhatViem from '@nomicfoundation/hardhat-viem';
import { configVariable, defineConfig } from 'hardhat/config';

const require = createRequire(import.meta.url);

/**
 * One profile for everything. The compiler is the npm `solc` package's soljson (emscripten/WASM build): with `path` set, Hardhat never
 * downloads a compiler or its version list from binaries.soliditylang.org. `version` must match what that
 * file reports (Hardhat checks it). `isolated` compiles each contract in its own job, so a contract's
 * metadata (and so its bytecode) depends only on the sources it imports, not on unrelated files such as
 * the test mocks. Both build profiles are the same so that `hardhat build` and
 * `hardhat build --build-profile production` emit the committed bytecode.
 */
const profile = {
  version: '0.8.28',
  path: require.resolve('solc/soljson.js'),
  settings: {
    evmVersion: 'cancun', // Hedera runs Cancun (TLOAD/TSTORE/MCOPY, no blobs) since services v0.50
    optimizer: { enabled: true, runs: 200 },
  },
  isolated: true,
};

export default defineConfig({
  plugins: [hardhatViem, hardhatNodeTestRunner],
  solidity: {
    profiles: {
      default: profile,
      production: profile,
    },
  },
  networks: {
    /** A running `hardhat node` (scripts/start-local-node.mjs), through real JSON-RPC; its accounts are unlocked. */
    localhost: {
      type: 'http',
      chainType: 'generic',
      url: process.env.TESSERA_EVM_RPC_URL ?? 'http://127.0.0.1:8545',
    },
    /** Hedera testnet through a JSON-RPC relay (Hashio unless HEDERA_RPC_URL says otherwise). */
    hederaTestnet: {
      type: 'http',
      chainType: 'generic',
      chainId: 296,
      url: process.env.HEDERA_RPC_URL ?? 'https://testnet.hashio.io/api',
      // The hex ECDSA (secp256k1) private key of the operator's Hedera account; read only when this network is used.
      accounts: [configVariable('HEDERA_PRIVATE_KEY')],
    },
  },
});
