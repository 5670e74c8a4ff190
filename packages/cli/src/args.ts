import { parseArgs } from 'node:util';
import { usageError } from './exit.js';

type ParseConfig = Parameters<typeof parseArgs>[0] & {};

/**
 * `parseArgs` (strict) whose errors become usage errors (exit code 2) with a short message:
 * "unknown option --foo" rather than Node's paragraph.
 */
export function parseCommand<T extends ParseConfig>(
  command: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = (error as Error).message;
    const option = /'(-[^' ]+)/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw usageError(`unknown option ${option ?? message}`, command);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (option !== undefined && /argument missing/.test(message)) {
        throw usageError(`option ${option} needs a value`, command);
      }
      if (option !== undefined && /ambiguous/.test(message)) {
        throw usageError(
          `option ${option} needs a value; write ${option}=<value> for one that starts with a dash`,
          command,
        );
      }
      throw usageError(message.replace(/\.$/, ''), command);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw usageError(message.replace(/\.$/, ''), command);
    throw error;
  }
}

/** An integer option ≥ `min`. @throws CliError exit code 2 */
export function integerOption(
  command: string,
  name: string,
  value: string | undefined,
  fallback: number,
  min = 0,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw usageError(`expected --${name} to be an integer ≥ ${min}, got \`${value}\``, command);
  }
  return n;
}

/** One of a fixed set of words. @throws CliError exit code 2 */
export function choiceOption<const T extends string>(
  command: string,
  name: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw usageError(`expected --${name} to be one of ${choices.join(', ')}, got \`${value}\``, command);
  }
  return value as T;
}
