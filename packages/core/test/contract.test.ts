import { defineContract, method, type Contract, type InputOf, type MethodDef, type OutputOf } from '@udprpc/core';
import { wireName, RESERVED_METHOD_NAMES, type AnyMethodDef } from '@udprpc/core/contract';
import { describe, expect, expectTypeOf, it } from 'vitest';

// The type assertions here are checked by `tsc -p tsconfig.check.json` (part
// of `npm test`); each `@ts-expect-error` line must stay an error.

interface User {
  id: number;
  name: string;
}

const users = defineContract('users', {
  get: method<{ id: number }, User | undefined>({ idempotent: true }),
  create: method<Omit<User, 'id'>, User>(),
  ping: method(),
  stream: method<Uint8Array, readonly number[]>(),
});

describe('method', () => {
  it('defaults to a non-idempotent method', () => {
    expect(method()).toEqual({ kind: 'method', idempotent: false });
    expect(method({})).toEqual({ kind: 'method', idempotent: false });
    expect(method({ idempotent: true })).toEqual({ kind: 'method', idempotent: true });
    expect(method({ idempotent: false })).toEqual({ kind: 'method', idempotent: false });
  });

  it('carries no phantom field at run time', () => {
    expect(Object.getOwnPropertySymbols(method<string, number>())).toEqual([]);
    expect(Object.keys(method<string, number>())).toEqual(['kind', 'idempotent']);
  });

  it('infers input and output from its type arguments', () => {
    const def = method<{ a: number; b: number }, number>();
    expectTypeOf(def).toEqualTypeOf<MethodDef<{ a: number; b: number }, number>>();
    expectTypeOf<InputOf<typeof def>>().toEqualTypeOf<{ a: number; b: number }>();
    expectTypeOf<OutputOf<typeof def>>().toEqualTypeOf<number>();
    // @ts-expect-error the input is not a string
    expectTypeOf<InputOf<typeof def>>().toEqualTypeOf<string>();
    // @ts-expect-error the output is not a string
    expectTypeOf<OutputOf<typeof def>>().toEqualTypeOf<string>();
  });

  it('defaults input and output to void', () => {
    const def = method();
    expectTypeOf<InputOf<typeof def>>().toEqualTypeOf<void>();
    expectTypeOf<OutputOf<typeof def>>().toEqualTypeOf<void>();
  });

  it('keeps unions, undefined, readonly arrays and never apart', () => {
    expectTypeOf<OutputOf<typeof users.methods.get>>().toEqualTypeOf<User | undefined>();
    expectTypeOf<OutputOf<typeof users.methods.stream>>().toEqualTypeOf<readonly number[]>();
    expectTypeOf<InputOf<typeof users.methods.stream>>().toEqualTypeOf<Uint8Array>();
    expectTypeOf<OutputOf<MethodDef<string, never>>>().toBeNever();
    expectTypeOf<InputOf<MethodDef<'a', 1> | MethodDef<'b', 2>>>().toEqualTypeOf<'a' | 'b'>();
    expectTypeOf<OutputOf<MethodDef<'a', 1> | MethodDef<'b', 2>>>().toEqualTypeOf<1 | 2>();
    // Not a method definition at all:
    expectTypeOf<InputOf<string>>().toBeNever();
    expectTypeOf<OutputOf<{ kind: 'other' }>>().toBeNever();
  });

  it('rejects wrong options at compile time', () => {
    // @ts-expect-error idempotent is a boolean
    method({ idempotent: 'yes' });
    // @ts-expect-error unknown option
    method({ retries: 3 });
    // @ts-expect-error exactOptionalPropertyTypes: omit the field rather than pass undefined
    method({ idempotent: undefined });
    expect(true).toBe(true);
  });
});

describe('defineContract', () => {
  it('keeps the service name and method definitions, frozen', () => {
    expect(users.name).toBe('users');
    expect(Object.keys(users.methods)).toEqual(['get', 'create', 'ping', 'stream']);
    expect(users.methods.get.idempotent).toBe(true);
    expect(users.methods.create.idempotent).toBe(false);
    expect(Object.isFrozen(users)).toBe(true);
    expect(Object.isFrozen(users.methods)).toBe(true);
  });

  it('copies the method map, so later changes to the argument do not leak in', () => {
    const methods: Record<string, AnyMethodDef> = { a: method() };
    const c = defineContract('svc', methods);
    methods.b = method();
    expect(Object.keys(c.methods)).toEqual(['a']);
  });

  it('infers the literal service name and each method type', () => {
    expectTypeOf(users.name).toEqualTypeOf<'users'>();
    expectTypeOf(users).toExtend<Contract<'users'>>();
    expectTypeOf<InputOf<typeof users.methods.create>>().toEqualTypeOf<{ name: string }>();
    expectTypeOf<OutputOf<typeof users.methods.create>>().toEqualTypeOf<User>();
    expectTypeOf<InputOf<typeof users.methods.get>>().toEqualTypeOf<{ id: number }>();
    expectTypeOf(users.methods).toHaveProperty('get');
    // @ts-expect-error there is no such method
    expect(users.methods.remove).toBeUndefined();
    // @ts-expect-error the service name is the literal 'users'
    expectTypeOf(users.name).toEqualTypeOf<'accounts'>();
    // @ts-expect-error create takes { name }, not a User
    expectTypeOf<InputOf<typeof users.methods.create>>().toEqualTypeOf<User>();
  });

  it('keeps explicit void input and output', () => {
    const c = defineContract('svc', { ping: method<void, void>() });
    expectTypeOf<InputOf<typeof c.methods.ping>>().toEqualTypeOf<void>();
    expectTypeOf<OutputOf<typeof c.methods.ping>>().toEqualTypeOf<void>();
  });

  // Regression: contracts used to be constrained by MethodDef<any, any>, whose
  // contextual `any` leaked into a bare `method()` inside defineContract.
  it('a bare method() inside defineContract is void -> void', () => {
    expectTypeOf<InputOf<typeof users.methods.ping>>().toEqualTypeOf<void>();
    expectTypeOf<OutputOf<typeof users.methods.ping>>().toEqualTypeOf<void>();
  });

  it('rejects non-method values and non-string names at compile time', () => {
    // @ts-expect-error 42 is not a method definition
    expect(() => defineContract('svc', { add: 42 })).not.toThrow(); // only the types reject it
    // @ts-expect-error the service name must be a string
    expect(() => defineContract(123, {})).toThrow(TypeError);
  });

  it('accepts names of letters, digits, _, - (and . for services), not starting with a digit, - or .', () => {
    for (const name of ['a', 'A', '_', 'calc', 'my_service', 'my-service', 'v2', 'com.example.calc', 'a.b-c_d9']) {
      expect(() => defineContract(name, { m: method() }), name).not.toThrow();
    }
    for (const m of ['a', 'Add', '_private', 'get-user', 'x9', 'then_', 'Then', 'proto']) {
      expect(() => defineContract('svc', { [m]: method() }), m).not.toThrow();
    }
    expect(() => defineContract('svc', {})).not.toThrow();
  });

  it('throws a TypeError for a bad service name', () => {
    for (const name of ['', '1calc', '-calc', '.calc', 'my service', 'calc/v1', 'calc:add', 'café', 'calc\n', 'ca\u0000lc']) {
      expect(() => defineContract(name, { m: method() }), JSON.stringify(name)).toThrow(TypeError);
    }
  });

  it('throws a TypeError for a bad method name, including one with a dot', () => {
    for (const m of ['', '1add', 'a.b', '.add', 'add ', 'ádd', 'a/b', '-x']) {
      expect(() => defineContract('svc', { [m]: method() }), JSON.stringify(m)).toThrow(TypeError);
    }
  });

  it('throws a TypeError when service.method is longer than 255 bytes, and not at 255', () => {
    const service = 's'.repeat(200);
    expect(() => defineContract(service, { ['m'.repeat(54)]: method() })).not.toThrow(); // 200 + 1 + 54 = 255
    expect(() => defineContract(service, { ['m'.repeat(55)]: method() })).toThrow(TypeError); // 256
    expect(() => defineContract(service, { ['m'.repeat(55)]: method() })).toThrow(/255 bytes/);
    expect(() => defineContract('s'.repeat(300), {})).not.toThrow(); // no method, no wire name
    expect(() => defineContract('s'.repeat(254), { m: method() })).toThrow(TypeError);
  });
});

// Issue 11.15: a method named `then` made `await stub` hang (the stub became
// a thenable) and left an unhandled rejection; the other reserved names
// shadow what JavaScript looks up on every object.
describe('defineContract: reserved method names', () => {
  it('throws a TypeError at definition for each reserved name', () => {
    expect(RESERVED_METHOD_NAMES).toEqual([
      'then', 'toJSON', 'constructor', 'toString', 'toLocaleString', 'valueOf', 'hasOwnProperty',
      'isPrototypeOf', 'propertyIsEnumerable', '__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
    ]);
    for (const name of RESERVED_METHOD_NAMES) {
      // A computed key makes `__proto__` an own property, as JSON.parse or a loop would.
      const methods = { [name]: method(), ok: method() } as Record<string, AnyMethodDef>;
      expect(() => defineContract('svc', methods), name).toThrow(TypeError);
      expect(() => defineContract('svc', methods), name).toThrow(`method name ${JSON.stringify(name)} is reserved`);
    }
  });

  it('rejects a reserved name at compile time too', () => {
    // @ts-expect-error `then` would make every stub of this contract a thenable
    expect(() => defineContract('svc', { then: method() })).toThrow(TypeError);
    // @ts-expect-error `toJSON` would run the method on JSON.stringify(stub)
    expect(() => defineContract('svc', { get: method(), toJSON: method<void, string>() })).toThrow(TypeError);
    // Object.prototype names are on every object type: only the run-time check sees them.
    expect(() => defineContract('svc', { constructor: method() })).toThrow(TypeError);
    // Names that only look alike stay allowed, and keep their types.
    const c = defineContract('svc', { thenable: method<number, string>(), Then: method() });
    expectTypeOf<InputOf<typeof c.methods.thenable>>().toEqualTypeOf<number>();
    expectTypeOf<OutputOf<typeof c.methods.thenable>>().toEqualTypeOf<string>();
  });
});

describe('wireName', () => {
  it('joins service and method with a dot', () => {
    expect(wireName(users, 'get')).toBe('users.get');
    expect(wireName(defineContract('com.example.calc', { add: method() }), 'add')).toBe('com.example.calc.add');
    expectTypeOf(wireName).returns.toEqualTypeOf<string>();
  });
});
