import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The boundaries as eslint.config.js applies them: each case lints a snippet as if it were the named file
// (the file need not exist; its path picks the config).
const eslint = new ESLint();

/** The rule ids ESLint reports for `code` at `filePath`. */
async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((message) => message.ruleId ?? `fatal: ${message.message}`);
}

const svelte = (script: string, markup = '<p>x</p>'): string => `<script lang="ts">\n${script}\n</script>\n\n${markup}\n`;
const RESTRICTED = '@typescript-eslint/no-restricted-imports';
const FOLDERS = 'tessera/no-import-from-folders';
const ACROSS = 'tessera/no-relative-import-across-workspaces';

describe('shared imports nothing from Node or from another workspace', () => {
  it.each([
    "import { readFile } from 'node:fs/promises';",
    "import { readFile } from 'fs/promises';",
    "import { Buffer } from 'buffer';",
    "import { buildApp } from '@tessera/coordinator';",
    "import type { Plugin } from '@tessera/client/testing';",
    "import { rewardTokenAbi } from '@tessera/contracts';",
  ])('refuses %s', async (line) => {
    expect(await violations('shared/src/probe.ts', `${line}\nexport const x = 1;`)).toContain(RESTRICTED);
  });

  it('refuses a relative path out of shared and any import()', async () => {
    expect(await violations('shared/src/peer/probe.ts', "export { x } from '../../../coordinator/src/index.ts';")).toEqual([ACROSS]);
    expect(await violations('shared/src/probe.ts', "export const load = () => import('./ids.ts');")).toEqual(['no-restricted-syntax']);
  });

  it('accepts zod and its own files', async () => {
    expect(
      await violations(
        'shared/src/peer/probe.ts',
        "import { z } from 'zod';\nimport { nodeIdSchema } from '../ids.ts';\nexport const s = z.object({ id: nodeIdSchema });",
      ),
    ).toEqual([]);
  });
});

describe('no workspace imports a higher one', () => {
  it('keeps coordinator and client apart, and both above shared and contracts', async () => {
    expect(await violations('coordinator/src/probe.ts', "export { x } from '@tessera/client';")).toEqual([RESTRICTED]);
    expect(await violations('coordinator/src/probe.ts', "export { x } from '@tessera/e2e';")).toEqual([RESTRICTED]);
    expect(await violations('client/src/api/probe.ts', "export { x } from '@tessera/coordinator/testing';")).toEqual([RESTRICTED]);
    expect(
      await violations(
        'coordinator/src/probe.ts',
        "export { ERROR_CODES } from '@tessera/shared';\nexport { rewardDistributorAbi } from '@tessera/contracts';",
      ),
    ).toEqual([]);
    expect(await violations('contracts/scripts/probe.ts', "export { ERROR_CODES } from '@tessera/shared';")).toEqual([RESTRICTED]);
  });

  it('refuses deep relative paths into another workspace, from any workspace', async () => {
    expect(await violations('client/src/api/probe.ts', "export { ERROR_CODES } from '../../../shared/src/error-codes.ts';")).toEqual([
      ACROSS,
    ]);
    expect(await violations('e2e/support/probe.ts', "export { buildApp } from '../../coordinator/src/app.ts';")).toEqual([ACROSS]);
  });

  it('lets e2e import every workspace by name, and root tooling reach into workspaces', async () => {
    expect(
      await violations('e2e/probe.ts', "export { buildApp } from '@tessera/coordinator';\nexport { x } from '@tessera/client/testing';"),
    ).toEqual([]);
    expect(await violations('probe.config.ts', "export { default } from './client/svelte.config.js';")).toEqual([]);
  });
});

describe('Svelte components make no socket, peer or engine calls', () => {
  it.each([
    "import { io } from 'socket.io-client';",
    "import Peer from 'simple-peer';",
    "import type { MLCEngine } from '@mlc-ai/web-llm';",
    "import { env } from '@huggingface/transformers';",
    "import * as ort from 'onnxruntime-web/webgpu';",
  ])('refuses %s', async (line) => {
    expect(await violations('client/src/volunteer/probe.svelte', svelte(line))).toContain(RESTRICTED);
  });

  it('refuses import() of those packages', async () => {
    expect(
      await violations('client/src/volunteer/probe.svelte', svelte("const load = () => import('socket.io-client');\nload();")),
    ).toEqual(['no-restricted-syntax']);
  });

  it.each(['../engine/engine-router.ts', '../node/volunteer-node.ts', '../peer/peer-network.browser.ts', '../node/task-runner.ts'])(
    'refuses values from %s but accepts its types',
    async (source) => {
      expect(await violations('client/src/volunteer/probe.svelte', svelte(`import { thing } from '${source}';\nthing();`))).toEqual([
        FOLDERS,
      ]);
      expect(
        await violations(
          'client/src/volunteer/probe.svelte',
          svelte(`import type { Thing } from '${source}';\nconst { thing }: { thing: Thing } = $props();`, '<p>{thing}</p>'),
        ),
      ).toEqual([]);
    },
  );

  it('judges the folder an import lands in, not how it is spelled', async () => {
    expect(await violations('client/src/peer/probe.svelte', svelte("import { PeerLink } from './peer-link.ts';\nnew PeerLink();"))).toEqual(
      [FOLDERS],
    );
    expect(
      await violations('client/src/volunteer/probe.svelte', svelte("import { formatRate } from '../app/format.ts';\nformatRate(1);")),
    ).toEqual([]);
  });

  it('leaves .svelte.ts state classes free to hold the runtime', async () => {
    expect(
      await violations('client/src/volunteer/probe.svelte.ts', "import { io } from 'socket.io-client';\nexport const socket = io();"),
    ).toEqual([]);
  });
});

describe('the engine is the bottom layer of the client', () => {
  it.each(['../node/volunteer-node.ts', '../peer/peer-link.ts', '../volunteer/role-fit.ts', '../app/format.ts'])(
    'refuses %s, even for types',
    async (source) => {
      expect(await violations('client/src/engine/probe.ts', `import type { Thing } from '${source}';\nexport type T = Thing;`)).toEqual([
        FOLDERS,
      ]);
    },
  );

  it('accepts its own folder and shared', async () => {
    expect(
      await violations(
        'client/src/engine/probe.ts',
        "import type { EngineRequest } from '@tessera/shared';\nimport type { Thing } from './thing.ts';\nexport type T = [EngineRequest, Thing];",
      ),
    ).toEqual([]);
  });
});
