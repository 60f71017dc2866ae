/**
 * What the DLQ Lambda's package is, kept here once for the build and the deploy scripts: the zip
 * holds BUNDLE_FILE at its root, and LAMBDA_HANDLER names that file's `handler` export, which
 * dlq-lambda/index.ts declares.
 */
const ENTRY = 'index';
export const BUNDLE_FILE = `${ENTRY}.mjs`;
export const LAMBDA_HANDLER = `${ENTRY}.handler`;
export const LAMBDA_RUNTIME = 'nodejs24.x';
/** Relative to the output directory (`dist` by default). */
export const BUNDLE_DIR = 'dlq-lambda';
export const ZIP_FILE = 'dlq-lambda.zip';
