// Compiles the contracts and writes their committed ABIs and bytecode:
//   artifacts-export/{RewardToken,RewardDistributor,NodeRegistry}.json        (abi, bytecode, solc version)
//   src/index.ts                                                                 (the workspace's public entry)
// Run from contracts/: `npm run export` (= hardhat run scripts/export-artifacts.ts, which builds first).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import hre from 'hardhat';
import { readCompiledContracts, renderExportFiles } from './artifact-export.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const files = renderExportFiles(await readCompiledContracts(hre.artifacts));
for (const [relative, content] of files) {
  const target = path.join(root, relative);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
  console.log(`wrote ${relative} (${content.length} bytes)`);
}
