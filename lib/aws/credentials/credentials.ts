/** A set of AWS credentials as every source in the chain yields them. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  /** When temporary credentials stop working; absent for long-term keys. */
  expiration?: Date | undefined;
}

/** Resolves credentials; the chain caches and refreshes them, so a provider may be called often. */
export type CredentialProvider = () => Promise<Credentials>;

/** The process environment, passed explicitly so that tests never read or write the real one. */
export type Env = Record<string, string | undefined>;

/** One place credentials can come from, in the order the chain walks them. */
export interface CredentialSource {
  /** The source and what it looks at, for error messages. */
  readonly name: string;
  /**
   * Resolves undefined when the source is not set up here, so the chain moves on; rejects when it
   * is set up but fails, so a broken setup is reported rather than masked by a later source.
   */
  load(): Promise<Credentials | undefined>;
}
