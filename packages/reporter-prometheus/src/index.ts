export type { PrometheusRegistry, PrometheusReporter, PrometheusReporterOptions } from './prometheus.js';
export { prometheusReporter } from './prometheus.js';
