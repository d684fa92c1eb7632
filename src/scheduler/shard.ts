// Which instances this `schedule` process runs when several share one configuration
// (docs/scheduler.md "Shards"): `--shard I/N`, BWDC_SHARD=I/N, or BWDC_SHARD=auto/N with I the host
// name's trailing ordinal (a StatefulSet pod `<name>-<I>`). An instance belongs to the shard with the
// highest hash of (its name, the shard's index): rendezvous hashing, so going from N to N+1 shards moves
// only the instances the new shard wins, about 1/(N+1) of them, and none between the old ones.
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';

export interface Shard {
  /** 0 .. count-1. */
  index: number;
  count: number;
}

/** One shard holding everything: no --shard and no BWDC_SHARD. */
export const wholeShard: Shard = { index: 0, count: 1 };

/** Beyond this, a typo (`0/1000000`) rather than a deployment; the hash costs count per instance. */
export const maxShards = 1000;

const expected = 'expected I/N (I from 0 to N-1, e.g. 0/3) or auto/N (I from the host name, e.g. bwdc-runner-2)';

/**
 * The shard named by `value` (from `field`: "--shard" or "BWDC_SHARD"), or the whole when unset.
 * A malformed value, an index out of range, or auto/N on a host name without a trailing ordinal is a
 * configuration error (exit 2): running the wrong share would sync some instances twice and others never.
 */
export function parseShard(value: string | undefined, field: string, host: string): Shard {
  if (value === undefined || value.trim() === '') return wholeShard;
  const m = /^\s*(auto|\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new ConfigError(`${field}: "${value}" is not a shard; ${expected}`);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(count) || count < 1 || count > maxShards)
    throw new ConfigError(`${field}: "${value}": N must be from 1 to ${maxShards}; ${expected}`);
  let index: number;
  if (m[1] === 'auto') {
    const ordinal = /-(\d+)$/.exec(host)?.[1];
    if (ordinal === undefined)
      throw new ConfigError(
        `${field}: "${value}": the host name "${host}" ends in no ordinal (-0, -1, ...); ` +
          `auto/N is for StatefulSet pods; set ${field}=I/${count} instead`,
      );
    index = Number(ordinal);
  } else index = Number(m[1]);
  if (!Number.isSafeInteger(index) || index >= count)
    throw new ConfigError(`${field}: "${value}": shard ${index} is out of range for ${count} shard(s); ${expected}`);
  return { index, count };
}

/** The shard of a process: --shard wins over BWDC_SHARD (parsed here, strictly, with the option's own messages). */
export function shardOf(option: string | undefined, env: NodeJS.ProcessEnv, host: string): Shard {
  return option !== undefined ? parseShard(option, '--shard', host) : parseShard(env.BWDC_SHARD, 'BWDC_SHARD', host);
}

/** The rendezvous weight of `name` on shard `index`: the first 64 bits of SHA-256 of both. */
function weight(name: string, index: number): bigint {
  return createHash('sha256').update(`${index}\0${name}`).digest().readBigUInt64BE(0);
}

/** The shard `name` belongs to among `count`; ties (never seen with 64 bits) go to the lower index. */
export function ownerOf(name: string, count: number): number {
  if (count <= 1) return 0;
  let best = 0;
  let bestWeight = weight(name, 0);
  for (let i = 1; i < count; i++) {
    const w = weight(name, i);
    if (w > bestWeight) {
      best = i;
      bestWeight = w;
    }
  }
  return best;
}

/** The instances of `shard`, in their configured order. */
export function shareOf<T extends { name: string }>(instances: readonly T[], shard: Shard): T[] {
  if (shard.count === 1) return [...instances];
  return instances.filter((i) => ownerOf(i.name, shard.count) === shard.index);
}

/** "1/3": how logs, /status and the metrics' label write a shard. */
export const shardLabel = (shard: Shard): string => `${shard.index}/${shard.count}`;
