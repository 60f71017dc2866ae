/**
 * The part of JSON Schema 2020-12 that job payloads are written in, and `PayloadOf<S>`, the
 * TypeScript type of the values a schema admits. A job type's `run` is typed from its schema
 * (job-type.ts), so the two cannot disagree. Objects must say `additionalProperties: false`: no
 * payload takes a field its type does not read. Add a keyword here when a job type needs one.
 */

interface Described {
  readonly description?: string;
}

export interface StringSchema extends Described {
  readonly type: 'string';
  readonly minLength?: number;
  readonly maxLength?: number;
}

export interface IntegerSchema extends Described {
  readonly type: 'integer';
  readonly minimum?: number;
  readonly maximum?: number;
}

export interface BooleanSchema extends Described {
  readonly type: 'boolean';
}

export interface ArraySchema extends Described {
  readonly type: 'array';
  readonly items: PayloadSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
}

export interface ObjectSchema extends Described {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, PayloadSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties: false;
}

export type PayloadSchema = StringSchema | IntegerSchema | BooleanSchema | ArraySchema | ObjectSchema;

export type PayloadOf<S> =
  S extends { readonly type: 'string' } ? string
    : S extends { readonly type: 'integer' } ? number
      : S extends { readonly type: 'boolean' } ? boolean
        : S extends { readonly type: 'array'; readonly items: infer Item } ? ReadonlyArray<PayloadOf<Item>>
          : S extends { readonly type: 'object'; readonly properties: infer Properties } ? ObjectOf<Properties, RequiredOf<S>>
            : never;

type RequiredOf<S> = S extends { readonly required: ReadonlyArray<infer Name> } ? Name : never;

type ObjectOf<Properties, Required> = Flat<
  { readonly [K in keyof Properties & Required]: PayloadOf<Properties[K]> }
  & { readonly [K in Exclude<keyof Properties, Required>]?: PayloadOf<Properties[K]> }
>;

/** One object type rather than an intersection, so editors and errors show the fields. */
type Flat<T> = { [K in keyof T]: T[K] } & {};
