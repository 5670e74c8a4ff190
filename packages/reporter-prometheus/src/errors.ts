import { LeakkitError } from '@leakkit/core';

/** Renders a value for an "Expected …, got `…`" message without dumping large objects. */
function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null || typeof value === 'bigint') {
    return String(value);
  }
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return `array(${value.length})`;
  return Object.prototype.toString.call(value).slice(8, -1).toLowerCase();
}

/** "Expected `option` to be …, got `…`", as the rest of leakkit says it. */
export function invalidOption(option: string, expected: string, got: unknown): LeakkitError {
  return new LeakkitError(
    'ERR_LEAKKIT_INVALID_OPTION',
    `Expected \`${option}\` to be ${expected}, got \`${describe(got)}\``,
    { option },
  );
}
