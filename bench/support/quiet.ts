/**
 * Imported first by the benchmarks: the functions' Powertools singletons (logger, metrics) read their settings when
 * first imported, and the benchmarks import service modules (the purger, the batch writer) before the local stack sets
 * the environment. Without this, every purge run prints its EMF metrics and INFO logs into the report.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
