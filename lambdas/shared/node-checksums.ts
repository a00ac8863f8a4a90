/**
 * Stands in for `@smithy/core/checksum` in the function bundles (an esbuild alias: `BUNDLING.alias` in
 * lib/topology.ts). The SDK clients take only `Sha256` (SigV4) and, for SQS, `Md5` (message checks)
 * from it, and on Node those are `node:crypto` hashes. But the module's classes fall back to pure
 * JavaScript hashes where `node:crypto` lacks them, so every bundle also carried a JavaScript SHA-256
 * and MD5 (~5 KB) that Lambda never runs. These are the same native classes without the fallbacks.
 * Code run outside a bundle (tests, the CLI) keeps the real module.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

type Input = string | ArrayBuffer | ArrayBufferView;

/** Strings as UTF-8 (what `hash.update` does with them), any binary view as its bytes. */
function bytesOf(data: Input): string | Buffer {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * SHA-256, or HMAC-SHA256 with a secret, as `@smithy/core/checksum`'s `Sha256Node` (which, like this,
 * takes an empty secret for none).
 */
export class Sha256 {
  readonly digestLength = 32;
  readonly #secret: Input | undefined;
  #hash: Hash | Hmac;
  #finished = false;

  constructor(secret?: Input) {
    this.#secret = secret || undefined;
    this.#hash = this.#create();
  }

  update(data: Input): void {
    if (this.#finished) throw new Error('Attempted to update an already finished hash.');
    this.#hash.update(bytesOf(data));
  }

  /** A hash can be digested again (it is copied); an HMAC only once, as Node allows. */
  async digest(): Promise<Uint8Array> {
    if (this.#secret === undefined) return asUint8Array((this.#hash as Hash).copy().digest());
    this.#finished = true;
    return asUint8Array(this.#hash.digest());
  }

  reset(): void {
    this.#hash = this.#create();
    this.#finished = false;
  }

  #create(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(this.#secret));
  }
}

/** MD5, as `@smithy/core/checksum`'s `Md5Node` (the SQS client checks message digests with it). */
export class Md5 {
  readonly digestLength = 16;
  #hash = createHash('md5');

  update(data: Input): void {
    this.#hash.update(bytesOf(data));
  }

  async digest(): Promise<Uint8Array> {
    return asUint8Array(this.#hash.copy().digest());
  }

  reset(): void {
    this.#hash = createHash('md5');
  }
}
