// The Standard Schema v1 and Standard JSON Schema v1 interfaces
// (standardschema.dev), copied as the spec invites so that core keeps no
// dependency. They are structurally identical to `@standard-schema/spec`'s
// (test/validation/standard-schema-types.test.ts checks both ways), so zod 4,
// valibot 1, arktype 2 and any other implementation fit them.

/** A schema any Standard Schema v1 library produces (zod 4, valibot 1, arktype 2, …). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace StandardSchemaV1 {
  /** The Standard Schema properties interface (the value of `~standard`). */
  interface Props<Input = unknown, Output = Input> {
    /** The version number of the standard: always `1`. */
    readonly version: 1;
    /** The vendor name of the schema library (e.g. `"zod"`, `"valibot"`, `"arktype"`). */
    readonly vendor: string;
    /** Validates an unknown value, synchronously or asynchronously, returning the typed value or the issues. */
    readonly validate: (value: unknown, options?: Options | undefined) => Result<Output> | Promise<Result<Output>>;
    /** The inferred input and output types of the schema; present for type inference only, not at runtime. */
    readonly types?: Types<Input, Output> | undefined;
  }
  /** The options for the `validate` function. */
  interface Options {
    /** Explicit support for additional vendor-specific parameters, if needed. */
    readonly libraryOptions?: Record<string, unknown> | undefined;
  }
  /** The result of the `validate` function: a success or a failure. */
  type Result<Output> = SuccessResult<Output> | FailureResult;
  /** The result when validation succeeds. */
  interface SuccessResult<Output> {
    /** The typed output value. */
    readonly value: Output;
    /** Absent (or `undefined`) on success: a falsy `issues` indicates success. */
    readonly issues?: undefined;
  }
  /** The result when validation fails. */
  interface FailureResult {
    /** The issues of the failed validation. */
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One issue of a failed validation. */
  interface Issue {
    /** The error message of the issue. */
    readonly message: string;
    /** The path to the offending part of the value, if any. */
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** A path segment of an issue, as an object. */
  interface PathSegment {
    /** The key representing the path segment. */
    readonly key: PropertyKey;
  }
  /** The Standard Schema types interface: the schema's input and output types. */
  interface Types<Input = unknown, Output = Input> {
    /** The input type of the schema. */
    readonly input: Input;
    /** The output type of the schema. */
    readonly output: Output;
  }
  /** Infers the input type of a Standard Schema. */
  type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input'];
  /** Infers the output type of a Standard Schema. */
  type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

/**
 * The optional JSON Schema side of a schema (Standard JSON Schema v1): zod
 * >= 4.2 and arktype >= 2.1.28 implement it; valibot through
 * `toStandardJsonSchema` from `@valibot/to-json-schema`.
 */
export interface StandardJSONSchemaV1Converter {
  /** Converts the schema's input type to a JSON Schema of the given `target` version; may throw if conversion is not supported. */
  readonly input: (options: { readonly target: string; readonly libraryOptions?: Record<string, unknown> | undefined }) => Record<string, unknown>;
  /** Converts the schema's output type to a JSON Schema of the given `target` version; may throw if conversion is not supported. */
  readonly output: (options: { readonly target: string; readonly libraryOptions?: Record<string, unknown> | undefined }) => Record<string, unknown>;
}
