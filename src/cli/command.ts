import { parseArgs } from 'node:util';
import type { Config } from '../runtime/config';
import { claimDataDir } from '../runtime/data-dir-owner';

/**
 * What every clickledger command shares: strict flags (an unknown one is a usage error, exit 2),
 * `--help` (usage on stdout, exit 0), one line on stderr for a user's error (exit 1) and a stack
 * trace only for a bug. Exit 3 is left to the commands that find differences (batch, reconcile).
 */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  default?: string;
  /** The value's placeholder in the usage, e.g. `<date-time>`. */
  value?: string;
  help: string;
}

export interface CommandSpec<O extends Record<string, OptionSpec>> {
  /** How a user runs it, e.g. `npm run batch --`. */
  invocation: string;
  /** What it does, one or more lines for the usage text. */
  description: string;
  options: O;
}

export type OptionValues<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K]['type'] extends 'boolean' ? boolean : O[K] extends { default: string } ? string : string | undefined;
};

/** A bad argument value: said in one line with a pointer to --help, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Errors whose message is the whole story for the user; anything else is a bug and keeps its stack. */
const USER_ERRORS = new Set(['ConfigError', 'ClickHouseError', 'StaleAsOfError', 'AppError', 'DataDirBusyError']);

const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help and exit' };

export function usage(spec: CommandSpec<Record<string, OptionSpec>>): string {
  const options = Object.entries({ ...spec.options, help: HELP }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [flag, o.help + (o.default !== undefined ? ` (default ${o.default})` : '')] as const;
  });
  const width = Math.max(...options.map(([flag]) => flag.length));
  return [
    `usage: ${spec.invocation} [options]`,
    '',
    spec.description,
    '',
    'options:',
    ...options.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`),
    '',
    'Settings come from the environment: DATA_DIR (default ./data) and the others in the README, Configuration.',
  ].join('\n');
}

function parseCommandLine<O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  argv: string[],
): OptionValues<O> & { help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string }> = {};
  for (const [name, o] of Object.entries({ ...spec.options, help: HELP })) {
    options[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.default !== undefined ? { default: o.default } : {}),
    };
  }
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  for (const [name, o] of Object.entries(spec.options)) if (o.type === 'boolean') values[name] ??= false;
  return { ...values, help: values.help === true } as OptionValues<O> & { help: boolean };
}

/** The command line's values; on --help or a usage error, prints and exits (0 or 2) instead. */
export function readCommandLine<O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  argv = process.argv.slice(2),
): OptionValues<O> {
  let values;
  try {
    values = parseCommandLine(spec, argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage(spec)}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage(spec));
    process.exit(0);
  }
  return values;
}

/**
 * Reads the command line and runs `main` with the values; `main` returns the exit code (0 when
 * it returns nothing). Never returns: the process exits with that code.
 */
export async function runCommand<O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  main: (values: OptionValues<O>) => Promise<number | void>,
): Promise<never> {
  const values = readCommandLine(spec);
  try {
    process.exit((await main(values)) ?? 0);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message} (${spec.invocation} --help for usage)`);
      process.exit(2);
    }
    console.error(USER_ERRORS.has((error as Error)?.name) ? (error as Error).message : error);
    process.exit(1);
  }
}

/**
 * A writing command takes DATA_DIR for itself (the lock the server holds while it runs): beside a
 * running server it stops here with one line, before it opens SQLite or chDB. `instead` says what
 * to do with a server running, e.g. "use POST /v1/admin/batch".
 */
export function ownDataDir(config: Config, spec: CommandSpec<Record<string, OptionSpec>>, instead: string): void {
  claimDataDir(config.DATA_DIR, spec.invocation.replace(/ --$/, ''), instead);
}
