// Test helpers (no tests here): assert that a call or a deployment reverted with a given custom error.
import assert from 'node:assert/strict';
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, isHex, type Abi } from 'viem';

interface DecodedRevert {
  errorName: string;
  /** `[]` for an error without parameters. */
  args: readonly unknown[];
}

/**
 * Awaits `action` and checks that it reverted with the custom error `errorName` (and `args`, when given).
 * Contract writes and reads carry decoded revert data; a deployment (or a raw call) only carries the raw
 * bytes, which are decoded with `abi`.
 */
export async function expectRevert(action: Promise<unknown>, errorName: string, args?: readonly unknown[], abi?: Abi): Promise<void> {
  await assert.rejects(action, (error: unknown) => {
    assert.ok(error instanceof BaseError, `expected a viem error, got: ${String(error)}`);
    const decoded = decodeRevert(error, abi);
    assert.ok(decoded !== undefined, `expected revert data, got: ${error.message}`);
    assert.equal(decoded.errorName, errorName);
    if (args !== undefined) assert.deepEqual(decoded.args, args);
    return true;
  });
}

function decodeRevert(error: BaseError, abi: Abi | undefined): DecodedRevert | undefined {
  const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError && reverted.data !== undefined) {
    return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] };
  }
  if (abi === undefined) return undefined;
  const raw = error.walk((cause) => hasHexData(cause));
  if (!hasHexData(raw)) return undefined;
  const result = decodeErrorResult({ abi, data: raw.data });
  return { errorName: result.errorName, args: result.args ?? [] };
}

function hasHexData(value: unknown): value is { data: `0x${string}` } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'data' in value &&
    typeof value.data === 'string' &&
    isHex(value.data) &&
    value.data.length >= 10
  );
}
