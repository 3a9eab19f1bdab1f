import { rewardDistributorAbi } from '@tessera/contracts';
import type { ClaimableEpoch } from '@tessera/shared';
import { decodeFunctionData, encodeErrorResult, getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLAIM_GAS, MAX_CLAIM_GAS, claimGasLimit, distributorRevertText, encodeClaimCall } from './claim-call.ts';

const account = '0x00000000000000000000000000000000000004d2';
const claim: ClaimableEpoch = {
  epoch: 7,
  account,
  amount: '123456789012',
  proof: [`0x${'ab'.repeat(32)}`, `0x${'0f'.repeat(32)}`],
  root: `0x${'cd'.repeat(32)}`,
  claimed: false,
  posted: true,
};

describe('encodeClaimCall', () => {
  it('encodes RewardDistributor.claim so that it decodes back to the same arguments', () => {
    const data = encodeClaimCall(claim);
    const decoded = decodeFunctionData({ abi: rewardDistributorAbi, data });
    expect(decoded.functionName).toBe('claim');
    expect(decoded.args).toEqual([7n, getAddress(account), 123456789012n, claim.proof]);
  });

  it('starts with the selector of claim(uint64,address,uint256,bytes32[])', () => {
    // keccak256("claim(uint64,address,uint256,bytes32[])")[0..4]
    expect(encodeClaimCall({ ...claim, proof: [] }).slice(0, 10)).toBe('0xa2f94bd3');
  });

  it('keeps amounts beyond 2^53 exact', () => {
    const decoded = decodeFunctionData({
      abi: rewardDistributorAbi,
      data: encodeClaimCall({ ...claim, amount: '90071992547409930000001' }),
    });
    expect(decoded.args?.[2]).toBe(90071992547409930000001n);
  });
});

describe('claimGasLimit', () => {
  it('pads an estimate by 20 % and caps it; uses the default without one', () => {
    expect(claimGasLimit(100_000n)).toBe(120_001);
    expect(claimGasLimit(null)).toBe(DEFAULT_CLAIM_GAS);
    expect(claimGasLimit(0n)).toBe(DEFAULT_CLAIM_GAS);
    expect(claimGasLimit(100_000_000n)).toBe(MAX_CLAIM_GAS);
  });
});

describe('distributorRevertText', () => {
  it('names the custom error and says what it means', () => {
    const already = encodeErrorResult({ abi: rewardDistributorAbi, errorName: 'AlreadyClaimed', args: [7n, account] });
    expect(distributorRevertText(already)).toBe('AlreadyClaimed: epoch 7 was already claimed for this account.');
    expect(distributorRevertText(encodeErrorResult({ abi: rewardDistributorAbi, errorName: 'InvalidProof' }))).toMatch(
      /^InvalidProof: the proof does not match/,
    );
    expect(distributorRevertText(encodeErrorResult({ abi: rewardDistributorAbi, errorName: 'UnknownEpoch', args: [9n] }))).toMatch(
      /^UnknownEpoch: epoch 9 has no root/,
    );
  });

  it('reads a token error bubbled up by the transfer, and plain Error(string) reverts', () => {
    const data = encodeErrorResult({
      abi: [
        {
          type: 'error',
          name: 'ERC20InsufficientBalance',
          inputs: [
            { name: 'sender', type: 'address' },
            { name: 'balance', type: 'uint256' },
            { name: 'needed', type: 'uint256' },
          ],
        },
      ],
      errorName: 'ERC20InsufficientBalance',
      args: [account, 100_000_000n, 250_000_000n],
    });
    expect(distributorRevertText(data)).toBe(
      "ERC20InsufficientBalance: the distributor holds 1 TSRA but needs 2.5; tell the coordinator's operator.",
    );
    const error = encodeErrorResult({
      abi: [{ type: 'error', name: 'Error', inputs: [{ name: 'message', type: 'string' }] }],
      errorName: 'Error',
      args: ['paused'],
    });
    expect(distributorRevertText(error)).toBe('Error: reverted: paused');
  });

  it('gives null for data that names no known error', () => {
    expect(distributorRevertText('0x')).toBeNull();
    expect(distributorRevertText('0xdeadbeef')).toBeNull();
    expect(distributorRevertText('CONTRACT_REVERT_EXECUTED')).toBeNull();
  });
});
