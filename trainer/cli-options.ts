/**
 * The CLI's one table of commands: each command declares its options once (type, placeholder, help line), and
 * this module parses them (node:util parseArgs, strict), answers `--help`/`-h`, and prints usage from the same
 * declarations, so a command's help can never drift from what it accepts.
 */
import { parseArgs } from 'node:util';
import { BadRequestError } from '../shared/errors.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** The value's placeholder in usage lines, e.g. DIR. */
  value?: string;
  /** Missing it is a usage error (exit 2). */
  required?: boolean;
  help: string;
}

export type Values = Record<string, string | boolean | string[] | undefined>;
export type Log = (line: string) => void;

export interface CommandSpec {
  name: string;
  /** Positional arguments in the usage line, e.g. 'FILE...'; none are accepted without it. */
  args?: string;
  /** One line for the overview. */
  summary: string;
  /** The paragraph below the usage line in the command's own help. */
  description: string;
  options: Record<string, OptionSpec>;
  run(values: Values, positionals: string[], log: Log, out: Log): Promise<number>;
}

// A usage error (shared/errors.ts): the CLI prints the message and the command's usage, and exits 2.
export { UsageError } from '../shared/errors.ts';
import { UsageError } from '../shared/errors.ts';

const HELP_OPTION: OptionSpec = { type: 'boolean', help: 'print this help and exit' };

function optionLabel(name: string, option: OptionSpec): string {
  return `--${name}${option.value ? ` ${option.value}` : ''}`;
}

/** `edgehead train --data DIR [--seed N] ...`: required options first, the rest in brackets. */
export function usageLine(spec: CommandSpec): string {
  const entries = Object.entries(spec.options);
  const required = entries.filter(([, o]) => o.required).map(([n, o]) => optionLabel(n, o));
  const optional = entries.filter(([, o]) => !o.required).map(([n, o]) => `[${optionLabel(n, o)}]`);
  return ['edgehead', spec.name, spec.args, ...required, ...optional].filter(Boolean).join(' ');
}

/** The whole help of one command: usage, description, one line per option. */
export function commandHelp(spec: CommandSpec): string {
  const rows = [...Object.entries(spec.options), ['help', HELP_OPTION] as const].map(([name, option]) => {
    const label = name === 'help' ? '-h, --help' : optionLabel(name, option);
    return `  ${label.padEnd(26)} ${option.help}${option.multiple ? ' (repeatable)' : ''}`;
  });
  return `Usage: ${usageLine(spec)}\n\n${spec.description}\n\nOptions:\n${rows.join('\n')}`;
}

/** The overview `edgehead --help` prints: one line per command. */
export function overviewHelp(specs: CommandSpec[], intro: string, outro: string): string {
  const rows = specs.map((s) => `  ${[s.name, s.args].filter(Boolean).join(' ').padEnd(26)} ${s.summary}`);
  return `${intro}\n\nUsage: edgehead <command> [options]\n\nCommands:\n${rows.join('\n')}\n\nRun \`edgehead <command> --help\` (or \`edgehead help <command>\`) for a command's options.\n\n${outro}`;
}

/**
 * Parses `args` against the command's table (strict: an unknown option or a missing value is a usage error).
 * @returns null when `--help`/`-h` was asked for
 * @throws UsageError for unknown options, stray arguments or a missing required option
 */
export function parseCommand(spec: CommandSpec, args: string[]): { values: Values; positionals: string[] } | null {
  const options = Object.fromEntries(Object.entries(spec.options).map(([name, o]) => [name, { type: o.type, multiple: Boolean(o.multiple) }]));
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: Boolean(spec.args), strict: true });
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((error as Error).message);
    throw error;
  }
  if (parsed.values.help) return null;
  for (const [name, option] of Object.entries(spec.options)) {
    if (option.required && parsed.values[name] === undefined) throw new UsageError(`${spec.name} needs ${optionLabel(name, option)}: ${option.help}`);
  }
  return parsed;
}

/** A string option's value (undefined when absent). */
export const text = (values: Values, name: string) => values[name] as string | undefined;

/** A numeric option: its fallback when absent, a usage error when not a number. */
export function numeric(values: Values, name: string, fallback: number): number;
export function numeric(values: Values, name: string, fallback?: number): number | undefined;
export function numeric(values: Values, name: string, fallback?: number): number | undefined {
  const raw = text(values, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(raw)}`);
  return value;
}

/** An integer option within [min, max]. */
export function integer(values: Values, name: string, fallback: number, min: number, max: number): number {
  const value = numeric(values, name, fallback);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${text(values, name)}`);
  return value;
}
