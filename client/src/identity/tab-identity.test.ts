import { fromBase64Url, newNodeId, newTaskId, publicKeySchema, resultSigningBytes, signatureSchema } from '@tessera/shared';
import { describe, expect, it } from 'vitest';
import {
  ED25519,
  Ed25519UnsupportedError,
  ephemeralTabIdentity,
  generateTabKeyPair,
  isTabKeyPair,
  tabIdentityFromKeyPair,
} from './tab-identity.ts';

async function verify(publicKey: string, signature: string, bytes: Uint8Array): Promise<boolean> {
  const key = await crypto.subtle.importKey('raw', new Uint8Array(fromBase64Url(publicKey)), ED25519, true, ['verify']);
  return crypto.subtle.verify(ED25519, key, new Uint8Array(fromBase64Url(signature)), new Uint8Array(bytes));
}

describe('tab identity', () => {
  it('exports the raw public key as base64url and signs what the coordinator verifies', async () => {
    const identity = await ephemeralTabIdentity();
    expect(publicKeySchema.safeParse(identity.publicKey).success).toBe(true);
    expect(fromBase64Url(identity.publicKey)).toHaveLength(32);
    const bytes = resultSigningBytes({
      nodeId: newNodeId(),
      taskId: newTaskId(),
      output: { kind: 'chat', text: 'héllo', finishReason: 'stop', tokenIds: [1, 2] },
      usage: { promptTokens: 3, completionTokens: 2 },
    });
    const signature = await identity.sign(bytes);
    expect(signatureSchema.safeParse(signature).success).toBe(true);
    expect(await verify(identity.publicKey, signature, bytes)).toBe(true);
    const tampered = new Uint8Array(bytes);
    tampered[10] = (tampered[10] ?? 0) ^ 1;
    expect(await verify(identity.publicKey, signature, tampered)).toBe(false);
  });

  it('keeps the private key unreadable', async () => {
    const keyPair = await generateTabKeyPair();
    expect(keyPair.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('pkcs8', keyPair.privateKey)).rejects.toThrow();
  });

  it('is the same identity after a structured clone (what IndexedDB stores)', async () => {
    const keyPair = await generateTabKeyPair();
    const copy: unknown = structuredClone(keyPair);
    expect(isTabKeyPair(copy)).toBe(true);
    if (!isTabKeyPair(copy)) return;
    const original = await tabIdentityFromKeyPair(keyPair, 'persistent');
    const restored = await tabIdentityFromKeyPair(copy, 'persistent');
    expect(restored.publicKey).toBe(original.publicKey);
    const bytes = new TextEncoder().encode('same key');
    expect(await verify(original.publicKey, await restored.sign(bytes), bytes)).toBe(true);
  });

  it('recognises only Ed25519 key pairs that can sign', async () => {
    expect(isTabKeyPair(null)).toBe(false);
    expect(isTabKeyPair({ privateKey: 'x', publicKey: 'y' })).toBe(false);
    const ecdsa = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    expect(isTabKeyPair(ecdsa)).toBe(false);
  });

  it('says clearly when the browser has no Ed25519', async () => {
    const oldBrowser = { generateKey: () => Promise.reject(new DOMException('Algorithm: Unrecognized name', 'NotSupportedError')) };
    const attempt = generateTabKeyPair(oldBrowser);
    await expect(attempt).rejects.toBeInstanceOf(Ed25519UnsupportedError);
    await expect(attempt).rejects.toThrow(/cannot make Ed25519 keys with WebCrypto \(Algorithm: Unrecognized name\)/);
  });
});
