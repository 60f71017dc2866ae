/** The floor: a Node process that starts and exits. */
export {};
