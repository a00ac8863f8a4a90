/**
 * HyperLogLog for unique users: a fixed-size, mergeable cardinality sketch.
 *
 * - Precision p = 14: m = 16,384 registers, relative standard error 1.04 / sqrt(m) = 0.81 %, so 2 % is
 *   about 2.5 standard errors (about 99 % of estimates fall within it).
 * - Hash: the first 64 bits of MD5 (stable across runtimes and releases; not a security use). The top
 *   p bits pick the register, the rank of the remaining q = 50 bits is stored (0..51, fits a byte).
 * - Estimator: Ertl's "improved raw estimator" (arXiv:1702.01284, Algorithm 6), unbiased over the whole
 *   range from 0 to billions without the empirical bias tables of HLL++ or a switch to linear counting.
 * - Merge: register-wise maximum, so merging is associative, commutative and idempotent (merging the
 *   same sketch twice changes nothing).
 * - Serialized as whichever is smaller: sparse (3 bytes per non-zero register) or the dense register
 *   array deflated; never more than m bytes plus deflate's few bytes of framing.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export const HLL_PRECISION = 14;
export const HLL_REGISTERS = 1 << HLL_PRECISION;
/** Hash bits left after the register index. */
const Q = 64 - HLL_PRECISION;
/** 1.04 / sqrt(m): the relative standard error of an estimate. */
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(HLL_REGISTERS);
/** The error bound the API states: 2 %, about 2.5 standard errors. */
export const HLL_ERROR_BOUND = 0.02;
/** Upper bound of a serialized sketch: the dense array plus deflate's framing of a stored block. */
export const HLL_MAX_SERIALIZED_BYTES = 1 + HLL_REGISTERS + 64;

const SPARSE = 1;
const DENSE_DEFLATED = 2;

/** A HyperLogLog sketch: one rank per register. */
export class HyperLogLog {
  readonly registers: Uint8Array;

  constructor(registers?: Uint8Array) {
    if (registers && registers.length !== HLL_REGISTERS) {
      throw new Error(`a HyperLogLog has ${HLL_REGISTERS} registers, got ${registers.length}`);
    }
    this.registers = registers ?? new Uint8Array(HLL_REGISTERS);
  }

  /** Adds one value (a user id). */
  add(value: string): void {
    this.addHash(hashValue(value));
  }

  /** Adds a value hashed once with `hashValue` (one event updates several sketches). */
  addHash(hash: ValueHash): void {
    if (hash.rank > (this.registers[hash.index] ?? 0)) this.registers[hash.index] = hash.rank;
  }

  /** Merges `other` into this sketch (register-wise maximum). */
  merge(other: HyperLogLog): this {
    const mine = this.registers;
    const theirs = other.registers;
    for (let i = 0; i < HLL_REGISTERS; i += 1) {
      const value = theirs[i] as number;
      if (value > (mine[i] as number)) mine[i] = value;
    }
    return this;
  }

  /** Estimated number of distinct values added. */
  estimate(): number {
    const histogram = new Array<number>(Q + 2).fill(0);
    for (const value of this.registers) histogram[value] = (histogram[value] ?? 0) + 1;
    const m = HLL_REGISTERS;
    let z = m * tau(1 - (histogram[Q + 1] ?? 0) / m);
    for (let k = Q; k >= 1; k -= 1) z = 0.5 * (z + (histogram[k] ?? 0));
    z += m * sigma((histogram[0] ?? 0) / m);
    return Math.round((m * m) / (2 * Math.LN2) / z);
  }

  /** Number of registers that have seen a value. */
  nonZeroRegisters(): number {
    let count = 0;
    for (const value of this.registers) if (value !== 0) count += 1;
    return count;
  }

  /** The smaller of the sparse and the deflated dense encodings. */
  serialize(): Uint8Array {
    const nonZero = this.nonZeroRegisters();
    const sparseBytes = 1 + 3 * nonZero;
    // Below a few hundred registers sparse always wins; skip the deflate.
    if (nonZero <= 256) return this.sparse(nonZero);
    const dense = deflateRawSync(this.registers);
    if (sparseBytes <= 1 + dense.length) return this.sparse(nonZero);
    const out = new Uint8Array(1 + dense.length);
    out[0] = DENSE_DEFLATED;
    out.set(dense, 1);
    return out;
  }

  private sparse(nonZero: number): Uint8Array {
    const out = new Uint8Array(1 + 3 * nonZero);
    out[0] = SPARSE;
    let offset = 1;
    this.registers.forEach((value, index) => {
      if (value === 0) return;
      // 14 bits of index, 6 bits of rank, big-endian in 3 bytes.
      const packed = (index << 6) | value;
      out[offset] = packed >> 16;
      out[offset + 1] = (packed >> 8) & 0xff;
      out[offset + 2] = packed & 0xff;
      offset += 3;
    });
    return out;
  }

  /** Reads a sketch written by `serialize`; throws on anything else. */
  static deserialize(bytes: Uint8Array): HyperLogLog {
    const format = bytes[0];
    if (format === SPARSE) {
      if ((bytes.length - 1) % 3 !== 0) throw new Error('corrupt sparse HyperLogLog');
      const registers = new Uint8Array(HLL_REGISTERS);
      for (let offset = 1; offset < bytes.length; offset += 3) {
        const packed = ((bytes[offset] as number) << 16) | ((bytes[offset + 1] as number) << 8);
        const full = packed | (bytes[offset + 2] as number);
        registers[full >> 6] = full & 0x3f;
      }
      return new HyperLogLog(registers);
    }
    if (format === DENSE_DEFLATED) {
      return new HyperLogLog(new Uint8Array(inflateRawSync(bytes.subarray(1))));
    }
    throw new Error(`unknown HyperLogLog format ${String(format)}`);
  }
}

/** Where a value lands: its register and the rank stored there. */
export interface ValueHash {
  index: number;
  rank: number;
}

/**
 * The register (top p bits of the 64-bit hash) and rank (position of the first 1-bit among the q = 50
 * remaining bits, q + 1 when they are all zero) of a value.
 */
export function hashValue(value: string): ValueHash {
  const digest = createHash('md5').update(value, 'utf8').digest();
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4);
  const index = high >>> (32 - HLL_PRECISION);
  const highRest = high & ((1 << (32 - HLL_PRECISION)) - 1);
  let rank: number;
  if (highRest !== 0) rank = Math.clz32(highRest) - HLL_PRECISION + 1;
  else if (low !== 0) rank = 32 - HLL_PRECISION + Math.clz32(low) + 1;
  else rank = Q + 1;
  return { index, rank };
}

/** sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1) (Ertl, eq. for the register-value-0 term). */
function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  let previous: number;
  let power = x;
  do {
    power *= power;
    previous = z;
    z += power * y;
    y += y;
  } while (z !== previous);
  return z;
}

/** tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3 (Ertl, for the saturated registers). */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  let root = x;
  do {
    root = Math.sqrt(root);
    previous = z;
    y *= 0.5;
    z -= (1 - root) ** 2 * y;
  } while (z !== previous);
  return z / 3;
}
