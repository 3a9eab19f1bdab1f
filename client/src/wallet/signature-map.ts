/**
 * One `SignaturePair` of a Hedera `SignatureMap` (HAPI basic_types.proto): the signer's public key
 * (`pubKeyPrefix`, field 1; wallets put the whole key there) and the signature, `ed25519` (field 3)
 * or `ECDSA_secp256k1` (field 6). Other signature kinds (contract, RSA, ECDSA-384) are kept as null.
 */
export interface SignaturePair {
  pubKeyPrefix: Uint8Array;
  ed25519: Uint8Array | null;
  ecdsaSecp256k1: Uint8Array | null;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

class ProtobufReader {
  #offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.#offset >= this.bytes.length;
  }

  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      const byte = this.bytes[this.#offset++];
      if (byte === undefined) throw new RangeError('SignatureMap: truncated varint');
      if (shift < 53) value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new RangeError('SignatureMap: varint longer than 10 bytes');
  }

  lengthDelimited(): Uint8Array {
    const length = this.varint();
    const end = this.#offset + length;
    if (end > this.bytes.length) throw new RangeError('SignatureMap: field runs past the end');
    const value = this.bytes.slice(this.#offset, end);
    this.#offset = end;
    return value;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.#advance(8);
        return;
      case WIRE_LENGTH_DELIMITED:
        this.lengthDelimited();
        return;
      case WIRE_FIXED32:
        this.#advance(4);
        return;
      default:
        throw new RangeError(`SignatureMap: unsupported wire type ${wireType}`);
    }
  }

  #advance(count: number): void {
    if (this.#offset + count > this.bytes.length) throw new RangeError('SignatureMap: field runs past the end');
    this.#offset += count;
  }
}

function* fields(bytes: Uint8Array): Generator<{ field: number; reader: ProtobufReader; wireType: number }> {
  const reader = new ProtobufReader(bytes);
  while (!reader.done) {
    const tag = reader.varint();
    yield { field: Math.floor(tag / 8), wireType: tag % 8, reader };
  }
}

function decodeSignaturePair(bytes: Uint8Array): SignaturePair {
  const pair: SignaturePair = { pubKeyPrefix: new Uint8Array(0), ed25519: null, ecdsaSecp256k1: null };
  for (const { field, wireType, reader } of fields(bytes)) {
    if (wireType !== WIRE_LENGTH_DELIMITED || (field !== 1 && field !== 3 && field !== 6)) {
      reader.skip(wireType);
      continue;
    }
    const value = reader.lengthDelimited();
    if (field === 1) pair.pubKeyPrefix = value;
    else if (field === 3) pair.ed25519 = value;
    else pair.ecdsaSecp256k1 = value;
  }
  return pair;
}

/** Decodes a protobuf `SignatureMap` (`repeated SignaturePair sigPair = 1`). Throws `RangeError` on malformed bytes. */
export function decodeSignatureMap(bytes: Uint8Array): SignaturePair[] {
  const pairs: SignaturePair[] = [];
  for (const { field, wireType, reader } of fields(bytes)) {
    if (field === 1 && wireType === WIRE_LENGTH_DELIMITED) pairs.push(decodeSignaturePair(reader.lengthDelimited()));
    else reader.skip(wireType);
  }
  return pairs;
}

/** The `signatureMap` of a `hedera_signMessage` answer: a `SignatureMap` in standard base64. */
export function signatureMapFromBase64(text: string): SignaturePair[] {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new RangeError('SignatureMap: not base64');
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return decodeSignatureMap(bytes);
}
