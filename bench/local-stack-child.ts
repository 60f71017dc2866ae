/** The local stack in a process of its own, so the emulators' CPU is not the client's. Prints its env. */
import { startLocalStack } from '../dev/local-stack.ts';

const stack = await startLocalStack();
process.stdout.write(`${JSON.stringify(stack.env)}\n`);
process.on('SIGTERM', () => {
  stack.stop().then(() => process.exit(0), () => process.exit(1));
});
