import { integer, readConfig, text } from '../lib/config.ts';
import { startLocalStack } from './local-stack.ts';

/**
 * The local AWS stack as a server of its own, for a cluster's dev mode (the jobsys-local-aws
 * image): fixed ports so that a Service can name them, on all interfaces so that other pods reach
 * it. It checks no signature, so it belongs only on a private dev cluster.
 */
const config = readConfig(process.env, {
  LOCAL_AWS_HOST: text('address the endpoints listen on', '0.0.0.0'),
  DYNAMODB_PORT: integer('port of the DynamoDB endpoint', 8000, 1, 65_535),
  SQS_PORT: integer('port of the SQS endpoint', 9324, 1, 65_535),
});
const stack = await startLocalStack({ host: config.LOCAL_AWS_HOST, dynamodbPort: config.DYNAMODB_PORT, sqsPort: config.SQS_PORT });
console.log(`local aws: DynamoDB on ${stack.dynamodbEndpoint}, SQS on ${stack.sqsEndpoint}`);

let stopping = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) process.exit(1);
  stopping = true;
  console.log(`local aws: ${signal}, stopping`);
  stack.stop().then(() => process.exit(0), (err: unknown) => {
    console.error('local aws: error while stopping:', err);
    process.exit(1);
  });
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
