import ms from 'ms';
import { invalidOption } from './errors.js';

/**
 * Resolves a duration option (`1000`, `'1m'`, `'30 s'`) to milliseconds, or throws an
 * `ERR_LEAKKIT_INVALID_OPTION` naming `option`. Zero is allowed only with `allowZero`.
 */
export function parseDuration(option: string, value: number | string, allowZero = false): number {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' ? ms(value as ms.StringValue) : Number.NaN;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw invalidOption(option, 'a positive duration in ms or a string like `"30s"`', value);
  }
  return n;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

/**
 * Resolves a size option (`65536`, `'64 KiB'`, `'1.5MB'`) to bytes, or throws an
 * `ERR_LEAKKIT_INVALID_OPTION` naming `option`.
 */
export function parseSize(option: string, value: number | string): number {
  let n = Number.NaN;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const unit = m ? SIZE_UNITS[(m[2] || 'b').toLowerCase()] : undefined;
    if (m && unit !== undefined) n = Number(m[1]) * unit;
  }
  if (!Number.isFinite(n) || n <= 0) {
    throw invalidOption(option, 'a positive size in bytes or a string like `"64 KiB"`', value);
  }
  return Math.round(n);
}
