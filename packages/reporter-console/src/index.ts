export type { ConsoleReporterOptions, ConsoleStream } from './console.js';
export { consoleReporter } from './console.js';
